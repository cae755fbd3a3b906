;; Hostile: an infinite loop; with a huge fuel budget only the wall-clock deadline stops it.
(module
  (memory (export "memory") 1)
  (func (export "run") (param i32) (result i32)
    (local $i i32)
    (loop $forever
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $forever))
    (i32.const 0)))
