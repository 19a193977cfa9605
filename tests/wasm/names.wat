;; Names that exercise wasm2c's mangling and a function imported twice
;; (wasm2c declares it once; the shim must define one forwarder).
(module
  (import "env" "add" (func $a (param i32 i64) (result i64)))
  (import "env" "add" (func $b (param i32 i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "w\u{e9}ird Z.name-1") (result i64)
    (i64.add (call $a (i32.const 1) (i64.const 2)) (call $b (i32.const 3) (i64.const 4))))
  (func (export "__call_reducer__") (result i32) (i32.const 5)))
