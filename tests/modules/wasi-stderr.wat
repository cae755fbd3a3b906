;; Writes to stderr in pieces ("first line\nsecond " "part\n" "no newline"), then "ok" to stdout,
;; or "errno 8" when stderr was refused.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "first line\nsecond part\nno newlineokerrno 8")
  ;; iovecs: [100,18] [118,5] [123,10] [133,2] [135,7]
  (data (i32.const 0) "\64\00\00\00\12\00\00\00\76\00\00\00\05\00\00\00\7b\00\00\00\0a\00\00\00\85\00\00\00\02\00\00\00\87\00\00\00\07\00\00\00")
  (func (export "_start")
    (local $refused i32)
    (local.set $refused (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 64)))
    (drop (call $fd_write (i32.const 2) (i32.const 8) (i32.const 1) (i32.const 64)))
    (drop (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 64)))
    (drop (call $fd_write (i32.const 1) (select (i32.const 32) (i32.const 24) (i32.eq (local.get $refused) (i32.const 8))) (i32.const 1) (i32.const 64)))))
