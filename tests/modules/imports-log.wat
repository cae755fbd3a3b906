;; Imports mesh.log: allowed only when the token grants log.
(module
  (import "mesh" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "mesh" "write_output" (func $write_output (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello")
  (func (export "run") (param i32) (result i32)
    (drop (call $log (i32.const 1) (i32.const 0) (i32.const 5)))
    (drop (call $write_output (i32.const 0) (i32.const 5)))
    (i32.const 0)))
