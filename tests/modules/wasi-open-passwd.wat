;; Hostile: opens /etc/passwd through the descriptor a preopened directory would have (3), and
;; asks what fd 3 is. Exits with path_open's errno (76, not capable) when fd 3 is no directory.
(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "/etc/passwd")
  (func (export "_start")
    (if (i32.ne (call $fd_prestat_get (i32.const 3) (i32.const 200)) (i32.const 8)) (then (call $proc_exit (i32.const 1))))
    (call $proc_exit
      (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 11) (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 300)))))
