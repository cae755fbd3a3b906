;; Sends "ping" as a request to the subject given as input and answers with the reply; on a
;; refusal returns what the host said, negated.
(module
  (import "mesh" "read_input" (func $read_input (param i32 i32) (result i32)))
  (import "mesh" "request" (func $request (param i32 i32 i32 i32 i32) (result i32)))
  (import "mesh" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "mesh" "write_output" (func $write_output (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ping")
  (func (export "run") (param $len i32) (result i32)
    (local $n i32)
    (drop (call $read_input (i32.const 1024) (local.get $len)))
    (local.set $n (call $request (i32.const 1024) (local.get $len) (i32.const 0) (i32.const 4) (i32.const 2000)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.sub (i32.const 0) (local.get $n)))))
    (local.set $n (call $result_read (i32.const 8192) (local.get $n)))
    (drop (call $write_output (i32.const 8192) (local.get $n)))
    (i32.const 0)))
