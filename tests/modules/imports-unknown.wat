;; Imports from a module Mesh does not provide (the older WASI snapshot): refused before it runs.
(module
  (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (param i32) (result i32)
    (i32.const 0)))
