;; Busy for as many loop turns as its input asks (a little-endian i32), then answers "done".
(module
  (import "mesh" "read_input" (func $read_input (param i32 i32) (result i32)))
  (import "mesh" "write_output" (func $write_output (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "done")
  (func (export "run") (param $len i32) (result i32)
    (local $left i32)
    (drop (call $read_input (i32.const 0) (i32.const 4)))
    (local.set $left (i32.load (i32.const 0)))
    (block $done
      (loop $turn
        (br_if $done (i32.le_s (local.get $left) (i32.const 0)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (br $turn)))
    (drop (call $write_output (i32.const 16) (i32.const 4)))
    (i32.const 0)))
