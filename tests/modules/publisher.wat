;; Publishes "hello" to the subject given as input; returns what the host said, negated (0 = sent).
(module
  (import "mesh" "read_input" (func $read_input (param i32 i32) (result i32)))
  (import "mesh" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello")
  (func (export "run") (param $len i32) (result i32)
    (drop (call $read_input (i32.const 1024) (local.get $len)))
    (i32.sub (i32.const 0) (call $publish (i32.const 1024) (local.get $len) (i32.const 0) (i32.const 5)))))
