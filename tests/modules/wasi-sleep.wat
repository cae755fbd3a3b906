;; Hostile: sleeps a minute through poll_oneoff (one relative clock subscription).
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; userdata 42, tag 0 (clock), clock 1 (monotonic), timeout 60 s in ns.
  (data (i32.const 0) "\2a\00\00\00\00\00\00\00\00")
  (data (i32.const 16) "\01\00\00\00\00\00\00\00\00\58\47\f8\0d\00\00\00")
  (func (export "_start")
    (drop (call $poll_oneoff (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))
