-- Certified robustness of test images (lip.certify): for images i..j of an IDX test set and a
-- network, a certified ℓ∞ Lipschitz bound L_j of every margin f_y − f_j on the ℓ∞ ball of each
-- radius ε around the image (clipped to [0,1]), the margins at the image, and what they
-- certify: the image is certified at ε when margin_j > L_j·ε for every j ≠ y, and its
-- certified radius is min_j margin_j / L_j (valid up to the ball's radius). Prints and writes
-- per-image rows and certified accuracy against ε (CSV, JSON, Markdown, an SVG plot).
--
--   liplua scripts/paper/certify.lua                                   (16 committed images)
--   liplua scripts/paper/certify.lua --images 1-2 --radii 0.005          (seconds)
--   liplua scripts/paper/certify.lua --data /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz \
--       --labels /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz --images 1-1000
--   liplua scripts/paper/certify.lua --images 1-1000 --shard 3/8        (one slice; lip.shard)
local lip = require "lip"
local report = lip.report
local certify = lip.certify
local clock = lip.script.clock

local o = lip.shard.parse(arg, {
  usage = "liplua scripts/paper/certify.lua [options]",
  description = "Certified accuracy of test images from local Lipschitz bounds of the margins.",
  { "model", "string", "models/fashion-mnist-300-100-relu-pruned.safetensors", "network file (safetensors, npz or JSON)" },
  { "activation", "string", "", "hidden activation (default: elu if the file name says so, else relu)" },
  { "data", "string", "models/fashion-mnist-t10k-first16-images-idx3-ubyte", "IDX file of test images (.gz too)" },
  { "labels", "string", "models/fashion-mnist-t10k-first16-labels-idx1-ubyte", "IDX file of their labels" },
  { "images", "string", "1-16", "images i-j of the file (1-based, inclusive), or one index" },
  { "radii", "list", { 0.01, 0.02, 0.05 }, "ℓ∞ radii ε of the balls (pixels in [0, 1])" },
  { "relaxation", "string", "lp", "bound of each margin: " .. table.concat(certify.names(), ", ") .. " (lip.relaxation.define adds more; --define FILE loads it)" },
  { "degree", "integer", 3, "LiPopt degree k (relaxation lp)" },
  { "family", "string", "path", "LiPopt product family (relaxation lp)" },
  { "budget", "number", 120, "time limit of one LP (or SDP) solve, seconds" },
  { "sdp_solver", "string", "auto", "SDP solver of the relaxation sdp (and best): auto, dsdp, lowrank" },
  { "samples", "integer", 200, "LBS sample points per margin and ball (a check: LBS <= bound)" },
  { "early_stop", "flag", false, "per ball, stop at the first class that fails (faster; no radius then)" },
  { "out", "string", "results/certify", "output folder" },
  { "quiet", "flag", false, "no per-image lines" },
})

local function fail(msg) io.stderr:write("certify: ", msg, "\n"); os.exit(2) end
if not certify.available(o.relaxation) then
  fail(string.format("--relaxation %s is not available (have: %s)", o.relaxation, table.concat(certify.names(), ", ")))
end
if #o.radii == 0 then fail("--radii needs at least one radius") end
for _, e in ipairs(o.radii) do
  if not (e > 0 and e <= 1) then fail("--radii: " .. tostring(e) .. " is not in (0, 1]") end
end
table.sort(o.radii)
local first, last = o.images:match("^%s*(%d+)%s*%-%s*(%d+)%s*$")
if not first then first = o.images:match("^%s*(%d+)%s*$"); last = first end
first, last = math.tointeger(tonumber(first or "")), math.tointeger(tonumber(last or ""))
if not first or not last or first < 1 or last < first then
  fail("--images '" .. o.images .. "': expected i-j with 1 <= i <= j (1-based, inclusive), e.g. 1-16")
end
local ok_i, images = pcall(lip.data.idx, o.data)
if not ok_i then fail("cannot read --data " .. o.data .. ": " .. tostring(images)) end
local ok_l, labels = pcall(lip.data.idx, o.labels)
if not ok_l then fail("cannot read --labels " .. o.labels .. ": " .. tostring(labels)) end
local count = images.shape[1]
if last > count then
  fail(string.format("--images %d-%d: %s has %d images (1..%d)", first, last, o.data, count, count))
end
if labels.count < last then
  fail(string.format("--images %d-%d: %s has only %d labels", first, last, o.labels, labels.count))
end

local act = o.activation ~= "" and o.activation or ((o.model:find("[^r]elu") or o.model:find("^elu")) and "elu" or "relu")
local ok_n, net = pcall(lip.nn.load, o.model, { activation = act })
if not ok_n then fail("cannot load --model " .. o.model .. ": " .. tostring(net)) end
if net:sizes()[1] ~= images.item_size then
  fail(string.format("the network has %d inputs, the images %d pixels", net:sizes()[1], images.item_size))
end
local model_stem = (o.model:match("([^/]+)$") or o.model):gsub("%.[^.]*$", ""):gsub("[^%w_.%-]", "_")
local name = "certify-" .. model_stem
lip.script.mkdir(o.out)
local t_start = clock()
local options = { degree = o.degree, family = o.family, time_limit = o.budget, samples = o.samples, seed = 0 }
if o.relaxation == "sdp" or o.relaxation == "best" then options.relaxation_options = { sdp_solver = o.sdp_solver } end

local items = {}
for i = first, last do items[#items + 1] = { key = "image " .. i, image = i } end
if not o.merge and not o.plan then
  print(string.format("certify: %s (%s), images %d-%d of %s, radii %s, relaxation %s%s", o.model, tostring(net),
    first, last, o.data, table.concat(o.radii, ","), o.relaxation,
    o.relaxation == "lp" and string.format(" (LiPopt-%d %s)", o.degree, o.family) or ""))
end

-- Size estimate for job arrays (scripts/slurm/submit): the LP of one margin at the largest ball.
local memory_estimate
local function estimate()
  if memory_estimate == nil then
    memory_estimate = 0
    local x = lip.data.image(images, first)
    local lower, upper = {}, {}
    local eps = o.radii[#o.radii]
    for i = 1, #x do lower[i], upper[i] = math.max(0, x[i] - eps), math.min(1, x[i] + eps) end
    local y = lip.data.label(labels, first) + 1
    local m = net:with_output { margin = { y, y == 1 and 2 or 1 } }
    local ok, e = pcall(function()
      local p = lip.lipschitz_problem { network = m, norm = "linf", input_box = { lower = lower, upper = upper }, domain = { 0, 1 } }
      return lip.hierarchy.krivine(p, { degree = o.degree, products = o.family, estimate_only = true })
    end)
    if ok and type(e) == "table" and e.memory_bytes then memory_estimate = e.memory_bytes end
  end
  local classes = net:sizes()[#net:sizes()] - 1
  return classes * #o.radii * (o.relaxation == "ubp" and 1 or o.budget) + 5, memory_estimate
end

local rows = lip.shard.run(o, { name = name, items = items, estimate = estimate,
  progress = function(i, n) report.progress(i, n, "images") end,
  work = function(item)
    local i = item.image
    local x = lip.data.image(images, i)
    local y = lip.data.label(labels, i)
    local r = certify.image { network = net, x = x, label = y, radii = o.radii, relaxation = o.relaxation,
                              options = options, early_stop = o.early_stop }
    local out = {}
    for _, b in ipairs(r.balls) do
      out[#out + 1] = { row = "ball", image = i, label = y, predicted = r.predicted, eps = b.eps, margin = b.margin,
        certified = b.certified, radius = b.radius, ratio = b.ratio, worst_class = b.worst_class,
        status = b.status, lps = b.lps, seconds = b.seconds, cpu_seconds = b.cpu_seconds }
      if not o.quiet then
        print(string.format("  image %d (class %d, predicted %d) eps %g: %-26s margin %.4g  radius %s  %d bounds  %.2fs",
          i, y, r.predicted, b.eps, b.status, b.margin, b.radius and string.format("%.4g", b.radius) or "-", b.lps, b.seconds))
      end
    end
    for _, m in ipairs(r.margins) do
      out[#out + 1] = { row = "margin", image = i, label = y, eps = m.eps, class = m.class, margin = m.margin,
        bound = m.bound, lbs = m.lbs, ratio = m.ratio, holds = m.holds, method = m.method, status = m.status,
        seconds = m.seconds, lp_rows = m.rows, lp_columns = m.columns, sdp_order = m.order }
    end
    return out
  end })
if not rows then return end   -- a shard of several (merge later) or --plan

-- Per ball, per image and per radius.
local balls, margins, per_image, order = {}, {}, {}, {}
for _, r in ipairs(rows) do
  if r.row == "ball" then
    balls[#balls + 1] = r
    local p = per_image[r.image]
    if not p then
      p = { image = r.image, label = r.label, predicted = r.predicted, balls = {}, seconds = 0, cpu = 0, lps = 0, radius = 0.0 }
      per_image[r.image] = p
      order[#order + 1] = r.image
    end
    p.balls[#p.balls + 1] = { eps = r.eps, ratio = r.ratio }
    p.seconds, p.cpu, p.lps = p.seconds + r.seconds, p.cpu + r.cpu_seconds, p.lps + r.lps
    if r.radius and r.radius > p.radius then p.radius = r.radius end
    if r.radius == nil and r.status ~= "misclassified" then p.radius_incomplete = true end
  else
    margins[#margins + 1] = r
  end
end
local images_rows = {}
for _, i in ipairs(order) do
  local p = per_image[i]
  local row = { image = i, label = p.label, predicted = p.predicted, correct = p.label == p.predicted,
                certified_radius = p.radius, lps = p.lps, seconds = p.seconds, cpu_seconds = p.cpu }
  if p.radius_incomplete then row.note = "radius from complete balls only (early stop or a missing bound)" end
  for _, e in ipairs(o.radii) do row["certified@" .. e] = certify.certified_at(p.balls, e) end
  images_rows[#images_rows + 1] = row
end
local n = #images_rows
local correct, total_seconds = 0, 0
for _, r in ipairs(images_rows) do
  if r.correct then correct = correct + 1 end
  total_seconds = total_seconds + r.seconds
end
local accuracy = {}
for _, e in ipairs(o.radii) do
  local c, secs, cpu, lps = 0, 0, 0, 0
  for _, b in ipairs(balls) do
    if b.eps == e then secs, cpu, lps = secs + b.seconds, cpu + b.cpu_seconds, lps + b.lps end
  end
  for _, i in ipairs(order) do if certify.certified_at(per_image[i].balls, e) then c = c + 1 end end
  accuracy[#accuracy + 1] = { eps = e, images = n, clean_accuracy = correct / n, certified = c,
    certified_accuracy = c / n, seconds_per_image = secs / n, cpu_seconds_per_image = cpu / n, lps = lps,
    relaxation = o.relaxation == "lp" and string.format("lp (LiPopt-%d %s)", o.degree, o.family) or o.relaxation }
end

local acc_columns = { { key = "eps", title = "ε" }, { key = "images", title = "images" },
  { key = "clean_accuracy", title = "clean acc.", format = "%.3f" }, { key = "certified", title = "certified" },
  { key = "certified_accuracy", title = "certified acc.", format = "%.3f" },
  { key = "seconds_per_image", title = "s / image", format = "%.2f" },
  { key = "cpu_seconds_per_image", title = "CPU s / image", format = "%.2f" }, { key = "lps", title = "bounds" },
  { key = "relaxation", title = "relaxation" } }
local img_columns = { { key = "image", title = "image" }, { key = "label", title = "label" },
  { key = "predicted", title = "predicted" }, { key = "certified_radius", title = "certified radius" } }
for _, e in ipairs(o.radii) do img_columns[#img_columns + 1] = { key = "certified@" .. e, title = "cert. @" .. e } end
img_columns[#img_columns + 1] = { key = "seconds", title = "seconds", format = "%.2f" }
print()
print(report.table(images_rows, img_columns))
print()
print(report.table(accuracy, acc_columns))

local stem = o.out .. "/" .. name
report.csv(stem .. "-images.csv", images_rows, { "image", "label", "predicted", "correct", "certified_radius",
  (function() local t = {} for _, e in ipairs(o.radii) do t[#t + 1] = "certified@" .. e end return table.unpack(t) end)(),
  "lps", "seconds", "cpu_seconds", "note" })
local ball_columns = { "image", "label", "predicted", "eps", "margin", "certified", "radius", "ratio", "worst_class",
  "status", "lps", "seconds", "cpu_seconds" }
report.csv(stem .. "-balls.csv", balls, ball_columns)
report.csv(stem .. "-margins.csv", margins, { "image", "label", "eps", "class", "margin", "bound", "lbs", "ratio",
  "holds", "method", "status", "seconds", "lp_rows", "lp_columns", "sdp_order" })
report.csv(stem .. "-accuracy.csv", accuracy, { "eps", "images", "clean_accuracy", "certified", "certified_accuracy",
  "seconds_per_image", "cpu_seconds_per_image", "lps", "relaxation" })
report.write(stem .. "-accuracy.md", report.markdown(accuracy, acc_columns) .. "\n")
report.json(stem .. ".json", { options = o, model = o.model, activation = act, accuracy = accuracy,
  images = images_rows, balls = balls, margins = margins, machine = { seconds = clock() - t_start } })

-- Plot: certified accuracy against ε (an image counts at ε when a ball of radius ≥ ε certifies it).
local curve, top = {}, o.radii[#o.radii]
for s = 0, 100 do
  local e = top * s / 100
  local c = 0
  for _, i in ipairs(order) do
    if e == 0 and per_image[i].predicted == per_image[i].label or e > 0 and certify.certified_at(per_image[i].balls, e) then c = c + 1 end
  end
  curve[#curve + 1] = { e, c / n }
end
local at = {}
for _, a in ipairs(accuracy) do at[#at + 1] = { a.eps, a.certified_accuracy } end
report.svg_plot(stem .. "-accuracy.svg", {
  title = string.format("certified accuracy, %s, %d images", model_stem, n),
  xlabel = "ℓ∞ radius ε", ylabel = "fraction of images",
  series = { { name = "certified (" .. o.relaxation .. ")", points = curve },
             { name = "at the balls", points = at, style = "points" },
             { name = "clean accuracy", points = { { 0, correct / n }, { top, correct / n } }, style = "dashed" } } })
print(string.format("\nwrote %s-images.csv, -balls.csv, -margins.csv, -accuracy.csv, -accuracy.md, -accuracy.svg, .json (%.1f s in all; %.2f s of bounds per image)",
  stem, clock() - t_start, total_seconds / n))
