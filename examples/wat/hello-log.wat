;; hello-log: logs its input (needs the log capability) and replies "logged".
(module
  (import "mesh" "read_input" (func $read_input (param i32 i32) (result i32)))
  (import "mesh" "write_output" (func $write_output (param i32 i32) (result i32)))
  (import "mesh" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "logged")
  (func (export "run") (param $len i32) (result i32)
    (local $n i32)
    (local.set $n (call $read_input (i32.const 1024) (i32.const 4096)))
    (drop (call $log (i32.const 1) (i32.const 1024) (local.get $n)))
    (drop (call $write_output (i32.const 0) (i32.const 6)))
    (i32.const 0)))
