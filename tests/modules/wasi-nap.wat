;; Sleeps 10 ms through poll_oneoff, then writes the event's userdata and error (42, 0) as
;; "awake" or "odd".
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; userdata 42, tag 0 (clock), clock 1 (monotonic), timeout 10 ms in ns.
  (data (i32.const 0) "\2a\00\00\00\00\00\00\00\00")
  (data (i32.const 16) "\01\00\00\00\00\00\00\00\80\96\98\00\00\00\00\00")
  (data (i32.const 300) "\90\01\00\00\05\00\00\00\98\01\00\00\03\00\00\00")
  (data (i32.const 400) "awake\00\00\00odd")
  (func (export "_start")
    (local $ok i32)
    (local.set $ok
      (i32.and
        (i32.eqz (call $poll_oneoff (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))
        (i32.and
          (i32.eq (i32.load (i32.const 200)) (i32.const 1))
          (i32.and (i64.eq (i64.load (i32.const 100)) (i64.const 42)) (i32.eqz (i32.load16_u (i32.const 108)))))))
    (drop (call $fd_write (i32.const 1) (select (i32.const 300) (i32.const 308) (local.get $ok)) (i32.const 1) (i32.const 240)))))
