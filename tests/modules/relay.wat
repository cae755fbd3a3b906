;; Hostile: input "S1 S2 S3..."; publishes "S2 S3..." to S1 again and again until the host
;; refuses, so each function it reaches does the same one step further. Empty input: does nothing.
(module
  (import "mesh" "read_input" (func $read_input (param i32 i32) (result i32)))
  (import "mesh" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (param $len i32) (result i32)
    (local $space i32)
    (local $rest i32)
    (if (i32.eqz (local.get $len)) (then (return (i32.const 0))))
    (drop (call $read_input (i32.const 1024) (local.get $len)))
    (block $found
      (loop $scan
        (br_if $found (i32.ge_u (local.get $space) (local.get $len)))
        (br_if $found (i32.eq (i32.load8_u (i32.add (i32.const 1024) (local.get $space))) (i32.const 32)))
        (local.set $space (i32.add (local.get $space) (i32.const 1)))
        (br $scan)))
    (if (i32.lt_u (local.get $space) (local.get $len))
      (then (local.set $rest (i32.sub (i32.sub (local.get $len) (local.get $space)) (i32.const 1)))))
    (loop $again
      (br_if $again (i32.eqz (call $publish
        (i32.const 1024) (local.get $space)
        (i32.add (i32.const 1025) (local.get $space)) (local.get $rest)))))
    (i32.const 0)))
