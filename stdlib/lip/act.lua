--- lip.act: activation functions. Built-ins come from Swift (σ, σ', the global range of σ'
-- and a sound interval map of σ'); new ones are Lua tables passed to lip.act.define.
local native = (require "_lip").act
local doc = require "lip.doc"
local act = {}

act.get = native.get
act.define = native.define

act.relu = native.get("relu")
act.elu = native.get("elu")
act.tanh = native.get("tanh")
act.sigmoid = native.get("sigmoid")
act.softplus = native.get("softplus")
act.identity = native.get("identity")

--- act.leaky_relu(alpha) -> activation (σ' in [alpha, 1]); act.elu_alpha(alpha) likewise.
function act.leaky_relu(alpha) return native.get("leaky_relu", alpha) end
function act.elu_alpha(alpha) return native.get("elu", alpha) end
doc.register(act.leaky_relu, [==[
lip.act.leaky_relu(alpha) -> activation
Leaky ReLU x >= 0 ? x : alpha·x; σ' in [alpha, 1] (Clarke derivative at 0).]==], "act.leaky_relu")
doc.register(act.elu_alpha, [==[
lip.act.elu_alpha(alpha) -> activation
ELU with parameter alpha: x >= 0 ? x : alpha·(e^x - 1); σ' in (0, max(1, alpha)].]==], "act.elu_alpha")

act.names = { "relu", "leaky_relu", "elu", "tanh", "sigmoid", "softplus", "identity" }
return act
