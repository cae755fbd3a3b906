;; Outputs its input followed by one marker byte (tests swap the marker to make distinct modules),
;; so a chain's output shows which steps ran, in what order.
(module
  (import "mesh" "read_input" (func $read_input (param i32 i32) (result i32)))
  (import "mesh" "write_output" (func $write_output (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "+")

  (func (export "run") (param $len i32) (result i32)
    (local $pages i32)
    (local.set $pages
      (i32.sub
        (i32.shr_u (i32.add (i32.add (local.get $len) (i32.const 1025)) (i32.const 65535)) (i32.const 16))
        (memory.size)))
    (if (i32.gt_s (local.get $pages) (i32.const 0))
      (then (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1))
        (then (return (i32.const 1))))))
    (drop (call $read_input (i32.const 1024) (local.get $len)))
    (i32.store8 (i32.add (i32.const 1024) (local.get $len)) (i32.load8_u (i32.const 0)))
    (drop (call $write_output (i32.const 1024) (i32.add (local.get $len) (i32.const 1))))
    (i32.const 0)))
