;; Puts "hello" under the "bucket/key" given as input; returns what the host said, negated (0 = stored).
(module
  (import "mesh" "read_input" (func $read_input (param i32 i32) (result i32)))
  (import "mesh" "kv_put" (func $kv_put (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello")
  (func (export "run") (param $len i32) (result i32)
    (local $slash i32)
    (drop (call $read_input (i32.const 1024) (local.get $len)))
    ;; find the first '/': the bucket is before it, the key after it
    (block $found
      (loop $scan
        (br_if $found (i32.ge_u (local.get $slash) (local.get $len)))
        (br_if $found (i32.eq (i32.load8_u (i32.add (i32.const 1024) (local.get $slash))) (i32.const 47)))
        (local.set $slash (i32.add (local.get $slash) (i32.const 1)))
        (br $scan)))
    (i32.sub (i32.const 0)
      (call $kv_put
        (i32.const 1024) (local.get $slash)
        (i32.add (i32.const 1025) (local.get $slash)) (i32.sub (i32.sub (local.get $len) (local.get $slash)) (i32.const 1))
        (i32.const 0) (i32.const 5)))))
