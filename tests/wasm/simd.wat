;; wasm2c 1.0.32 aborts on a v128 export: the engine reports it.
(module
  (memory (export "memory") 1)
  (func (export "v") (param v128) (result v128) (local.get 0)))
