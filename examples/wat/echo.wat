;; echo: replies with its input. The smallest complete Mesh function (docs/abi.md).
(module
  (import "mesh" "read_input" (func $read_input (param i32 i32) (result i32)))
  (import "mesh" "write_output" (func $write_output (param i32 i32) (result i32)))
  (memory (export "memory") 1)

  ;; run(input_len) -> status: the guest owns its memory, so it makes room, then asks for the input.
  (func (export "run") (param $len i32) (result i32)
    (local $pages i32)
    (local.set $pages
      (i32.sub
        (i32.shr_u (i32.add (i32.add (local.get $len) (i32.const 1024)) (i32.const 65535)) (i32.const 16))
        (memory.size)))
    (if (i32.gt_s (local.get $pages) (i32.const 0))
      (then (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1))
        (then (return (i32.const 1))))))
    (drop (call $read_input (i32.const 1024) (local.get $len)))
    (drop (call $write_output (i32.const 1024) (local.get $len)))
    (i32.const 0)))
