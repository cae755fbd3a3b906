;; Hostile: traps on an integer division by zero.
(module
  (memory (export "memory") 1)
  (func (export "run") (param $len i32) (result i32)
    (i32.div_s (i32.const 1) (i32.sub (local.get $len) (local.get $len)))))
