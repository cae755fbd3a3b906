;; Fails with its input as the error message: a guest choosing what the caller and the log see.
(module
  (import "mesh" "read_input" (func $read_input (param i32 i32) (result i32)))
  (import "mesh" "set_error" (func $set_error (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (param $len i32) (result i32)
    (local $n i32)
    (local.set $n (call $read_input (i32.const 0) (i32.const 4096)))
    (drop (call $set_error (i32.const 0) (local.get $n)))
    (i32.const 1)))
