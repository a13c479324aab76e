--- lip.norm: input norms. The Lipschitz constant w.r.t. ‖·‖ is sup ‖∇f‖_* (the dual norm);
-- the relaxations need the unit ball B_* as a shape (box, cross-polytope, ball) or as
-- constraint polynomials (user norms). lip.norm.define registers a user norm by name.
-- A one-file example: scripts/examples/norm_box.lua.
local native = (require "_lip").norm
local norm = {}

norm.get = native.get
norm.define = native.define
norm.names = native.names
norm.linf = native.get("linf")
norm.l1 = native.get("l1")
norm.l2 = native.get("l2")

return norm
