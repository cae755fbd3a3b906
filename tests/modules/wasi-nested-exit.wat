;; Writes "before", recurses 1000 calls deep and calls proc_exit there with the digit its input
;; starts with: 0 ends the function successfully, any other code is a trap with that code.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\64\00\00\00\01\00\00\00")
  (data (i32.const 32) "\c8\00\00\00\06\00\00\00")
  (data (i32.const 200) "before")
  (func $deep (param $depth i32)
    (if (i32.eqz (local.get $depth))
      (then (call $proc_exit (i32.sub (i32.load8_u (i32.const 100)) (i32.const 48)))))
    (call $deep (i32.sub (local.get $depth) (i32.const 1))))
  (func (export "_start")
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))
    (drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 16)))
    (call $deep (i32.const 1000))
    unreachable))
