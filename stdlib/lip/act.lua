--- lip.act: activation functions. Built-ins come from Swift (σ, σ', the global range of σ' and
-- sound interval maps of σ' and σ); new ones are Lua tables passed to lip.act.define, which
-- registers them by name, so `activation = "my_act"` works everywhere a built-in name does.
-- A one-file example: scripts/examples/activation_leaky.lua.
local native = (require "_lip").act
local doc = require "lip.doc"
local act = {}

act.get = native.get
act.define = native.define
act.names = native.names

act.relu = native.get("relu")
act.elu = native.get("elu")
act.tanh = native.get("tanh")
act.sigmoid = native.get("sigmoid")
act.softplus = native.get("softplus")
act.identity = native.get("identity")

--- act.leaky_relu(alpha) -> activation (σ' in [min(alpha,1), max(alpha,1)]).
function act.leaky_relu(alpha)
  if type(alpha) ~= "number" or alpha ~= alpha or alpha == math.huge or alpha == -math.huge then
    error("lip.act.leaky_relu: alpha must be a finite number, got " .. tostring(alpha), 2)
  end
  return native.get("leaky_relu", alpha)
end
--- act.elu_alpha(alpha) -> activation (σ' in [min(0,alpha), max(1,alpha)]).
function act.elu_alpha(alpha)
  if type(alpha) ~= "number" or alpha ~= alpha or alpha == math.huge or alpha == -math.huge then
    error("lip.act.elu_alpha: alpha must be a finite number, got " .. tostring(alpha), 2)
  end
  return native.get("elu", alpha)
end
doc.register(act.leaky_relu, [==[
lip.act.leaky_relu(alpha) -> activation
Leaky ReLU x >= 0 ? x : alpha·x for any finite alpha (also negative or above 1: interval
propagation does not assume monotonicity); σ' in [min(alpha,1), max(alpha,1)] (Clarke at 0).
Registered as "leaky_relu(alpha)".]==], "act.leaky_relu")
doc.register(act.elu_alpha, [==[
lip.act.elu_alpha(alpha) -> activation
ELU with parameter alpha (any finite number): x > 0 ? x : alpha·(e^x - 1);
σ' in [min(0,alpha), max(1,alpha)]. Registered as "elu(alpha)".]==], "act.elu_alpha")

return act
