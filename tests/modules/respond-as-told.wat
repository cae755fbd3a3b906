;; Answers an HTTP call with the status and headers its input names (the input is http_respond's
;; MessagePack, [status, [[name, value]...]], passed on as it is) and a page with a script: what a
;; function that sets cookies and serves active content would send.
(module
  (import "mesh" "read_input" (func $read_input (param i32 i32) (result i32)))
  (import "mesh" "http_respond" (func $http_respond (param i32 i32) (result i32)))
  (import "mesh" "write_output" (func $write_output (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "<html><script>fetch('/fn/other')</script></html>")
  (func (export "run") (param $len i32) (result i32)
    (if (i32.gt_u (local.get $len) (i32.const 4096))
      (then (return (i32.const 1))))
    (drop (call $read_input (i32.const 1024) (local.get $len)))
    (if (i32.lt_s (call $http_respond (i32.const 1024) (local.get $len)) (i32.const 0))
      (then (return (i32.const 2))))
    (drop (call $write_output (i32.const 0) (i32.const 48)))
    (i32.const 0)))
