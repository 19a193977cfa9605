;; Imports env.add with a signature other than the host's (i32, i64) -> i64.
(module
  (import "env" "add" (func (param i32) (result i32)))
  (memory (export "memory") 1))
