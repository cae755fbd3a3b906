;; Hostile: tries to answer with 8 MiB.
(module
  (import "mesh" "write_output" (func $write_output (param i32 i32) (result i32)))
  (memory (export "memory") 129)
  (func (export "run") (param i32) (result i32)
    (drop (call $write_output (i32.const 0) (i32.const 8388608)))
    (i32.const 0)))
