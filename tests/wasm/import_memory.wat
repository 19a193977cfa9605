;; Imports its memory: refused.
(module
  (import "env" "mem" (memory 1))
  (export "memory" (memory 0)))
