;; Hostile: writes to descriptors that are not open (3, and one far beyond). Exits with the errno.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\64\00\00\00\01\00\00\00")
  (data (i32.const 100) "x")
  (func (export "_start")
    (if (i32.ne (call $fd_write (i32.const 100000) (i32.const 0) (i32.const 1) (i32.const 16)) (i32.const 8)) (then (call $proc_exit (i32.const 1))))
    (call $proc_exit (call $fd_write (i32.const 3) (i32.const 0) (i32.const 1) (i32.const 16)))))
