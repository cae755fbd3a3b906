;; Hostile: grows memory until refused, then traps.
(module
  (memory (export "memory") 1)
  (func (export "run") (param i32) (result i32)
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable))
