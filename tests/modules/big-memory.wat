;; Asks for 128 MiB of initial memory, more than any default limit.
(module
  (memory (export "memory") 2048)
  (func (export "run") (param i32) (result i32) (i32.const 0)))
