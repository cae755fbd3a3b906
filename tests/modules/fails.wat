;; A function that fails on purpose, with a message.
(module
  (import "mesh" "set_error" (func $set_error (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "input rejected: too short")
  (func (export "run") (param i32) (result i32)
    (drop (call $set_error (i32.const 0) (i32.const 25)))
    (i32.const 3)))
