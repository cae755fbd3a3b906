;; Hostile: never returns. Stopped by fuel (or the wall-clock deadline).
(module
  (memory (export "memory") 1)
  (func (export "run") (param i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))
