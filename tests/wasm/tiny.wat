;; Smallest useful module: memory and one export that grows it past its
;; initial size (memory limit at instantiation).
(module
  (memory (export "memory") 4)
  (func (export "nop")))
