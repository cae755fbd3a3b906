;; Hostile: publishes to the subject given as input until refused; returns the refusal, negated.
(module
  (import "mesh" "read_input" (func $read_input (param i32 i32) (result i32)))
  (import "mesh" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (param $len i32) (result i32)
    (local $status i32)
    (drop (call $read_input (i32.const 1024) (local.get $len)))
    (loop $again
      (local.set $status (call $publish (i32.const 1024) (local.get $len) (i32.const 0) (i32.const 1)))
      (br_if $again (i32.eqz (local.get $status))))
    (i32.sub (i32.const 0) (local.get $status))))
