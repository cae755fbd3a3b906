;; Answers an HTTP call with what it was told of the request (http_info's MessagePack, as read by
;; result_read), status 201 and a header of its own; a call not over HTTP gets "no http" and 200.
(module
  (import "mesh" "http_info" (func $http_info (result i32)))
  (import "mesh" "http_respond" (func $http_respond (param i32 i32) (result i32)))
  (import "mesh" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "mesh" "write_output" (func $write_output (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; [201, [["x-made-by", "wat"]]]
  (data (i32.const 0) "\92\cc\c9\91\92\a9x-made-by\a3wat")
  (data (i32.const 64) "no http")
  (func (export "run") (param i32) (result i32)
    (local $n i32)
    (local.set $n (call $http_info))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then
        (drop (call $write_output (i32.const 64) (i32.const 7)))
        (return (i32.const 0))))
    (drop (call $result_read (i32.const 1024) (local.get $n)))
    (drop (call $http_respond (i32.const 0) (i32.const 19)))
    (drop (call $write_output (i32.const 1024) (local.get $n)))
    (i32.const 0)))
