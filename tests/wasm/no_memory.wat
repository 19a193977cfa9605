;; Exports no memory: refused.
(module
  (memory 1)
  (func (export "f")))
