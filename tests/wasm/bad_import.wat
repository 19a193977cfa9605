;; Imports a function the host does not offer.
(module
  (import "spacetime_10.9" "foo" (func))
  (memory (export "memory") 1))
