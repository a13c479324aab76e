--- lip.poly: sparse multivariate polynomials (Swift userdata). Variables come from
-- lip.poly.variables; + - * ^ combine them with numbers; p:evaluate{...}, p:terms(), #p.
local native = (require "_lip").poly
local poly = {}
poly.variables = native.variables
return poly
