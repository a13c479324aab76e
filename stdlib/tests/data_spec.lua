-- Specs for lip.data. Plain Lua 5.4 with assert; run from the repository root:
--   LUA_PATH="stdlib/?.lua;stdlib/?/init.lua" lua5.4 stdlib/tests/data_spec.lua
-- IDX files are written here with string.pack from the format's definition; gzip files and
-- the Fashion-MNIST oracle values come from python3 when it is on the PATH. Under liplua the
-- native reader (_lip.data.idx) is used and gzip files must read; under plain Lua they must
-- be refused with a clear message.

local data = require "lip.data"

local H = require("tests.harness")("data")
local it, raises = H.it, H.raises

local native = (function()
  local lip = package.loaded["_lip"] or rawget(_G, "_lip")
  return type(lip) == "table" and type(lip.data) == "table" and lip.data.idx ~= nil
end)()

local tmpdir = (function()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"))
  return p
end)()

local function write(name, bytes)
  local path = tmpdir .. "/" .. name
  local fh = assert(io.open(path, "wb"))
  fh:write(bytes)
  fh:close()
  return path
end

local function header(typebyte, shape)
  local h = string.char(0, 0, typebyte, #shape)
  for _, s in ipairs(shape) do h = h .. string.pack(">I4", s) end
  return h
end

local function python(script, ...)
  if not os.execute("python3 -c '' >/dev/null 2>&1") then return nil end
  local args = { "python3", "-c", "'" .. script:gsub("'", "'\\''") .. "'" }
  for _, a in ipairs({ ... }) do args[#args + 1] = "'" .. a .. "'" end
  local p = io.popen(table.concat(args, " ") .. " 2>&1")
  local out = p:read("a")
  local _, _, code = p:close()
  assert(code == 0, "python3 failed: " .. out)
  return out
end

-- Two 28×28 images: image n has pixel (r, c) = (n * 100 + r * 28 + c) % 256.
local function pixel(n, r, c) return (n * 100 + r * 28 + c) % 256 end
local function image_bytes()
  local b = {}
  for n = 0, 1 do
    for r = 0, 27 do
      for c = 0, 27 do b[#b + 1] = string.char(pixel(n, r, c)) end
    end
  end
  return header(0x08, { 2, 28, 28 }) .. table.concat(b)
end

it("idx: uint8 images, shape, values, items", function()
  local path = write("img-idx3-ubyte", image_bytes())
  local a = data.idx(path)
  assert(a.type == "uint8")
  assert(#a.shape == 3 and a.shape[1] == 2 and a.shape[2] == 28 and a.shape[3] == 28)
  assert(a.count == 1568 and a.item_size == 784)
  assert(a:value(1) == pixel(0, 0, 0) and a:value(784 + 29) == pixel(1, 1, 0))
  local item = a:item(2)
  assert(#item == 784 and item[1] == pixel(1, 0, 0) and item[784] == pixel(1, 27, 27))
  assert(tostring(a) == "idx uint8 [2x28x28]")
  raises(function() a:item(3) end, "out of range 1..2")
  raises(function() a:value(0) end, "out of range")
end)

it("image: 784 numbers in [0,1], pixel / 255, row-major", function()
  local a = data.idx(write("img2-idx3-ubyte", image_bytes()))
  local x = data.image(a, 2)
  assert(#x == 784)
  for r = 0, 27 do
    for c = 0, 27 do
      local v = x[r * 28 + c + 1]
      assert(v >= 0 and v <= 1)
      assert(math.abs(v - pixel(1, r, c) / 255) < 1e-15)
    end
  end
  raises(function() data.image(a, 0) end, "out of range")
  raises(function() data.image({}, 1) end, "expected an object from data.idx")
end)

it("label: integers from a label file", function()
  local labels = data.idx(write("lab-idx1-ubyte", header(0x08, { 4 }) .. string.char(7, 2, 1, 0)))
  assert(data.label(labels, 1) == 7 and data.label(labels, 4) == 0)
  assert(math.type(data.label(labels, 2)) == "integer")
  raises(function() data.label(labels, 5) end, "out of range 1..4")
  local imgs = data.idx(write("img3-idx3-ubyte", image_bytes()))
  raises(function() data.label(imgs, 1) end, "one%-dimensional")
  raises(function() data.image(labels, 1) end, "image file")
end)

it("idx: signed and float element types", function()
  local a = data.idx(write("i16", header(0x0B, { 3 }) .. string.pack(">i2>i2>i2", -2, 300, -32768)))
  assert(a.type == "int16" and a:value(1) == -2 and a:value(2) == 300 and a:value(3) == -32768)
  local f = data.idx(write("f32", header(0x0D, { 1, 2 }) .. string.pack(">f>f", 1.5, -0.25)))
  assert(f.type == "float32" and f:value(1) == 1.5 and f:value(2) == -0.25 and f.item_size == 2)
  local d = data.idx(write("f64", header(0x0E, { 1 }) .. string.pack(">d", 1 / 3)))
  assert(d:value(1) == 1 / 3)
  local b = data.idx(write("i8", header(0x09, { 2 }) .. string.char(0x80, 0x7f)))
  assert(b:value(1) == -128 and b:value(2) == 127)
end)

it("idx: truncated, malformed and missing files give clear errors", function()
  raises(function() data.idx(write("cut", header(0x08, { 2, 3 }) .. "\1\2\3")) end, "truncated")
  raises(function() data.idx(write("cuthead", string.char(0, 0, 8, 3, 0, 0, 0, 1))) end, "truncated")
  raises(function() data.idx(write("extra", header(0x08, { 2 }) .. "\1\2\3")) end, "bytes after")
  raises(function() data.idx(write("text", "P5 28 28\n")) end, "not an IDX file")
  raises(function() data.idx(write("type", string.char(0, 0, 7, 1, 0, 0, 0, 0))) end, "element type")
  raises(function() data.idx(tmpdir .. "/does-not-exist") end, "does%-not%-exist")
  raises(function() data.idx(42) end, "expected a file path")
end)

it("idx: gzip files (native reader) or a clear refusal (plain Lua)", function()
  local plain = write("gz-idx1-ubyte", header(0x08, { 5 }) .. string.char(9, 8, 7, 6, 5))
  local out = python("import gzip,sys; open(sys.argv[1]+'.gz','wb').write(gzip.compress(open(sys.argv[1],'rb').read()))", plain)
  if not out then return end
  if native then
    local a = data.idx(plain .. ".gz")
    assert(a.count == 5 and data.label(a, 1) == 9 and data.label(a, 5) == 5)
  else
    raises(function() data.idx(plain .. ".gz") end, "gzip%-compressed")
  end
end)

it("find: plain, .gz and dotted spellings", function()
  write("train-images.idx3-ubyte", image_bytes())
  assert(data.find(tmpdir, "train-images-idx3-ubyte") == tmpdir .. "/train-images.idx3-ubyte")
  write("t10k-labels-idx1-ubyte.gz", "x")
  assert(data.find(tmpdir, "t10k-labels-idx1-ubyte") == tmpdir .. "/t10k-labels-idx1-ubyte.gz")
  raises(function() data.find(tmpdir, "nothing-idx1-ubyte") end, "no nothing")
end)

it("Fashion-MNIST test images agree with python's reading", function()
  local gz = data.fashion_mnist_dir .. "/t10k-images-idx3-ubyte.gz"
  local fh = io.open(gz, "rb")
  if not fh then return end
  fh:close()
  local plain = tmpdir .. "/t10k-images-idx3-ubyte"
  local out = python([[
import gzip, sys
b = gzip.open(sys.argv[1]).read()
if sys.argv[2] != "-": open(sys.argv[2], "wb").write(b)
print(sum(b[16:16+784]), sum(b[16+784*9999:]), b[16+14*28+14])
]], gz, native and "-" or plain)
  if not out then return end
  local s1, slast, center = out:match("(%d+) (%d+) (%d+)")
  local a = data.idx(native and gz or plain)
  assert(a.shape[1] == 10000 and a.item_size == 784)
  local function sum(t) local s = 0 for _, v in ipairs(t) do s = s + v end return s end
  assert(sum(a:item(1)) == tonumber(s1))
  assert(sum(a:item(10000)) == tonumber(slast))
  local x = data.image(a, 1)
  assert(math.abs(x[14 * 28 + 15] - tonumber(center) / 255) < 1e-15)
  assert(math.abs(sum(x) - tonumber(s1) / 255) < 1e-9)
end)

it("(cleanup of the temporary directory)", function()
  assert(os.execute("rm -rf '" .. tmpdir .. "'"))
end)
H.finish()
