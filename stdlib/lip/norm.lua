--- lip.norm: input norms. The Lipschitz constant w.r.t. ‖·‖ is sup ‖∇f‖_* (the dual norm);
-- the hierarchy needs the dual unit ball B_* as constraint polynomials (METHOD §2).
local native = (require "_lip").norm
local norm = {}

norm.get = native.get
norm.define = native.define
norm.linf = native.get("linf")
norm.l1 = native.get("l1")
norm.l2 = native.get("l2")

return norm
