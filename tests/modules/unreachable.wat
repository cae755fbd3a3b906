;; Hostile: executes unreachable.
(module
  (memory (export "memory") 1)
  (func (export "run") (param i32) (result i32)
    unreachable))
