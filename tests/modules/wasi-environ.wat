;; Reads the environment and the arguments: their counts and sizes (16 bytes at 0, set to 0xff
;; first so the host must write them) go to stdout, after environ_get and args_get succeed.
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff")
  (data (i32.const 32) "\00\00\00\00\10\00\00\00")
  (func (export "_start")
    (call $proc_exit
      (i32.or
        (i32.or (call $environ_sizes_get (i32.const 0) (i32.const 4)) (call $args_sizes_get (i32.const 8) (i32.const 12)))
        (i32.or
          (i32.or (call $environ_get (i32.const 100) (i32.const 200)) (call $args_get (i32.const 100) (i32.const 200)))
          (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 48)))))))
