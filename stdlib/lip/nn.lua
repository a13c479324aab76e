--- lip.nn: networks. Random (as in the paper), loaded from safetensors/npz/JSON, or built
-- from Lua tables; net:forward(x), net:gradient(x), net:ibp(box), net:save(path), ...
local native = (require "_lip").nn
local doc = require "lip.doc"
local nn = {}

nn.random = native.random
nn.load = native.load
nn.from_layers = native.from_layers

--- nn.from_weights(Ws [, bs [, options]]) -> network
function nn.from_weights(Ws, bs, options)
  options = options or {}
  if type(options) ~= "table" then error("lip.nn.from_weights: options must be a table, got " .. type(options), 2) end
  require("lip.options").split("lip.nn.from_weights", options,
    { require("lip.options").spec { { "activation" }, { "output" } } }, 2)
  local layers = {}
  for i, W in ipairs(Ws) do layers[i] = { weights = W, bias = bs and bs[i] or nil } end
  return require("lip.options").call("lip.nn.from_weights", 2, native.from_layers,
    { layers = layers, activation = options.activation, output = options.output })
end
doc.register(nn.from_weights, [==[
lip.nn.from_weights({W1, ..., Wd} [, {b1, ..., bd} [, {activation = , output = }]]) -> network
A network from weight matrices (out × in nested tables) and optional biases.]==], "nn.from_weights")

return nn
