--- lip.data: MNIST-style IDX data sets for experiment scripts.
--
--   local data = require "lip.data"
--   local images = data.idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
--   local labels = data.idx("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")
--   local x = data.image(images, 1)      -- 784 numbers in [0, 1], row-major, image 1
--   local y = data.label(labels, 1)      -- an integer class 0..9
--
-- Indices are 1-based (Lua convention): image 1 is the first image of the file.
--
-- Reading uses liplua's native reader `_lip.data.idx(path)` (in package.loaded._lip; Swift
-- IDXFile.read: gzip or plain files) when it exists. The native function returns
--   { shape = {n1, n2, ...}, type = "uint8", bytes = <string of n1*n2*... bytes> }
-- for uint8 data, or { shape = ..., type = "int8"|"int16"|"int32"|"float32"|"float64",
-- values = { ... } } otherwise. Without it (a plain lua5.4), a pure-Lua reader handles
-- uncompressed files.

local data = {}

local types = {
  [0x08] = { name = "uint8", size = 1, fmt = "B" },
  [0x09] = { name = "int8", size = 1, fmt = "b" },
  [0x0B] = { name = "int16", size = 2, fmt = ">i2" },
  [0x0C] = { name = "int32", size = 4, fmt = ">i4" },
  [0x0D] = { name = "float32", size = 4, fmt = ">f" },
  [0x0E] = { name = "float64", size = 8, fmt = ">d" },
}

local IDX = {}
IDX.__index = IDX

function IDX:__tostring()
  return string.format("idx %s [%s]", self.type, table.concat(self.shape, "x"))
end

--- arr:value(k) -> number: the element at 1-based row-major flat index k.
function IDX:value(k)
  if k < 1 or k > self.count then
    error(string.format("idx: flat index %d is out of range 1..%d", k, self.count), 2)
  end
  if self.bytes then return self.bytes:byte(k) end
  return self.values[k]
end

--- arr:item(i [, scale]) -> { ... }: the i-th (1-based) item along the first dimension,
-- flattened row-major, each element times `scale` (default 1).
function IDX:item(i, scale)
  local n = self.shape[1] or 1
  if math.type(i) ~= "integer" or i < 1 or i > n then
    error(string.format("idx: item %s is out of range 1..%d", tostring(i), n), 2)
  end
  scale = scale or 1
  local size = self.item_size
  local first = (i - 1) * size
  local out = {}
  if self.bytes then
    -- string.byte returns at most a few thousand values at once; take the item in chunks.
    local k = 0
    for a = first + 1, first + size, 4096 do
      local b = math.min(a + 4095, first + size)
      for _, v in ipairs({ self.bytes:byte(a, b) }) do
        k = k + 1
        out[k] = v * scale
      end
    end
  else
    for k = 1, size do out[k] = self.values[first + k] * scale end
  end
  return out
end

local function make(shape, typename, bytes, values)
  local count = 1
  for _, s in ipairs(shape) do count = count * s end
  local item_size = 1
  for d = 2, #shape do item_size = item_size * shape[d] end
  return setmetatable({ shape = shape, type = typename, count = count,
                        item_size = item_size, bytes = bytes, values = values }, IDX)
end

--- data.parse_idx(bytes [, name]) -> idx object: parses the bytes of an uncompressed IDX
-- file (pure Lua, string.unpack). `name` appears in error messages.
function data.parse_idx(s, name)
  name = name or "<bytes>"
  if #s >= 2 and s:byte(1) == 0x1f and s:byte(2) == 0x8b then
    error(name .. " is gzip-compressed; the pure-Lua reader needs a plain file "
      .. "(gunzip it, or run under liplua, whose native reader reads .gz)", 0)
  end
  if #s < 4 or s:byte(1) ~= 0 or s:byte(2) ~= 0 then
    error(name .. " is not an IDX file (it must start with two zero bytes)", 0)
  end
  local t = types[s:byte(3)]
  if not t then
    error(string.format("%s: unknown IDX element type 0x%02x", name, s:byte(3)), 0)
  end
  local ndim = s:byte(4)
  if #s < 4 + 4 * ndim then
    error(string.format("%s is truncated: the header announces %d dimensions", name, ndim), 0)
  end
  local shape, count = {}, 1
  for d = 1, ndim do
    shape[d] = string.unpack(">I4", s, 4 * d + 1)
    count = count * shape[d]
  end
  local start = 4 + 4 * ndim
  local need = start + count * t.size
  if #s < need then
    error(string.format("%s is truncated: its header announces %d bytes, the file has %d",
      name, need, #s), 0)
  end
  if #s > need then
    error(string.format("%s has %d bytes after the announced data; it is malformed",
      name, #s - need), 0)
  end
  if t.name == "uint8" then
    return make(shape, "uint8", s:sub(start + 1), nil)
  end
  local values, pos = {}, start + 1
  for k = 1, count do values[k], pos = string.unpack(t.fmt, s, pos) end
  return make(shape, t.name, nil, values)
end

--- data.idx(path) -> idx object with fields shape, type, count, item_size and methods
-- :item(i [, scale]), :value(k). Gzip-compressed files need liplua's native reader.
function data.idx(path)
  if type(path) ~= "string" then
    error("data.idx: expected a file path, got " .. type(path), 2)
  end
  local lip = package.loaded["_lip"] or rawget(_G, "_lip")
  local native = type(lip) == "table" and type(lip.data) == "table" and lip.data.idx
  if native then
    local ok, r = pcall(native, path)
    if not ok then error(r, 2) end
    return make(r.shape, r.type, r.bytes, r.values)
  end
  local fh, err = io.open(path, "rb")
  if not fh then error("data.idx: cannot open " .. path .. ": " .. tostring(err), 2) end
  local s = fh:read("a")
  fh:close()
  local ok, r = pcall(data.parse_idx, s, path)
  if not ok then error("data.idx: " .. r, 2) end
  return r
end

--- data.image(arr, i) -> { 784 numbers in [0,1] }: image i (1-based) of a uint8 image file,
-- pixels divided by 255, row-major (the input convention of models/*.safetensors).
function data.image(arr, i)
  if getmetatable(arr) ~= IDX then error("data.image: expected an object from data.idx", 2) end
  if arr.type ~= "uint8" or #arr.shape < 2 then
    error("data.image: expected a uint8 image file of shape n x rows x cols, got " .. tostring(arr), 2)
  end
  local ok, r = pcall(arr.item, arr, i, 1 / 255)
  if not ok then error("data.image: " .. r, 2) end
  return r
end

--- data.label(arr, i) -> integer: label i (1-based) of a label file.
function data.label(arr, i)
  if getmetatable(arr) ~= IDX then error("data.label: expected an object from data.idx", 2) end
  if #arr.shape ~= 1 then
    error("data.label: expected a one-dimensional label file, got " .. tostring(arr), 2)
  end
  if math.type(i) ~= "integer" or i < 1 or i > arr.count then
    error(string.format("data.label: index %s is out of range 1..%d", tostring(i), arr.count), 2)
  end
  return math.tointeger(arr:value(i))
end

--- data.find(dir, stem) -> path: the IDX file `stem` (e.g. "t10k-images-idx3-ubyte") in
-- `dir`, trying stem, stem.gz and the dotted spelling "t10k-images.idx3-ubyte[.gz]".
function data.find(dir, stem)
  local dotted = stem:gsub("%-idx", ".idx", 1)
  for _, name in ipairs({ stem, stem .. ".gz", dotted, dotted .. ".gz" }) do
    local p = dir .. "/" .. name
    local fh = io.open(p, "rb")
    if fh then fh:close() return p end
  end
  error("data.find: no " .. stem .. "[.gz] in " .. dir, 2)
end

--- The Fashion-MNIST directory of the Debian package dataset-fashion-mnist.
data.fashion_mnist_dir = "/usr/share/datasets/fashion-mnist"


-- Documentation for help() and the editor stubs (one entry per function).
do
  local ok, doc = pcall(require, "lip.doc")
  if ok and type(doc) == "table" then
    doc.register(data.idx, [==[
lip.data.idx(path) -> array
Reads an MNIST-format IDX file (gzip or plain with liplua's native reader; plain files with a
bare lua5.4). array: shape, type, count, item_size, :item(i [, scale]), :value(k) (1-based).]==], "data.idx")
    doc.register(data.image, [==[
lip.data.image(array, i) -> pixels
Image i (1-based) of a uint8 image file as a list of numbers in [0, 1] (pixels / 255),
row-major: the input convention of the committed models.]==], "data.image")
    doc.register(data.label, [==[
lip.data.label(array, i) -> class
Label i (1-based) of a one-dimensional label file, an integer.]==], "data.label")
    doc.register(data.find, [==[
lip.data.find(dir, stem) -> path
The IDX file stem in dir, trying stem, stem.gz and the dotted spelling (t10k-images.idx3-ubyte).]==], "data.find")
    doc.register(data.parse_idx, [==[
lip.data.parse_idx(bytes [, name]) -> array
Parses the bytes of an uncompressed IDX file in pure Lua (name appears in error messages).]==], "data.parse_idx")
  end
end

return data
