;; Tries to remember between invocations: bumps a mutable global, a memory cell and a table slot,
;; then answers what it found (each an i32). A fresh instance per invocation answers 1 1 0 every time.
(module
  (import "mesh" "write_output" (func $write_output (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (table 1 funcref)
  (func $marker)
  (elem declare func $marker)
  (func (export "run") (param i32) (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store (i32.const 1024) (i32.add (i32.load (i32.const 1024)) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $count))
    (i32.store (i32.const 4) (i32.load (i32.const 1024)))
    ;; 1 if an earlier invocation left the table slot set, else 0; then set it.
    (i32.store (i32.const 8) (i32.eqz (ref.is_null (table.get (i32.const 0)))))
    (table.set (i32.const 0) (ref.func $marker))
    (call $write_output (i32.const 0) (i32.const 12))))
