;; Well-formed sections but an invalid function body (built with
;; wat2wasm --no-check): wasm2c refuses it.
(module
  (memory (export "memory") 1)
  (func (export "bad") (result i32) (i64.const 1)))
