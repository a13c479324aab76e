-- A user norm in one file: the ℓ∞ norm written out by hand, registered as "my_linf". Its unit
-- ball B_* = [-1, 1]^n is the box itself, so ball() adds no constraint; dual(g) = ‖g‖_1.
-- Nothing looks at the name: a user norm is used through its ball and its dual norm.
local lip = require "lip"
return lip.norm.define {
  name = "my_linf",
  dual = function(g)
    local s = 0
    for i = 1, #g do s = s + math.abs(g[i]) end
    return s
  end,
  ball = function(t) return {} end,
  box = function(n)
    local lo, hi = {}, {}
    for i = 1, n do lo[i], hi[i] = -1, 1 end
    return lo, hi
  end,
}
