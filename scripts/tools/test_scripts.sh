#!/usr/bin/env bash
# The experiment scripts in their tiny configuration (seconds): they must run, write their
# CSV/JSON/SVG outputs, and every row must satisfy LBS <= LiPopt <= UBP (docs/METHOD.md §5).
# Prints "scripts: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
swift build --product liplua 2>&1 | grep -E "error" && { echo "scripts: 0 passed, 1 failed (build)"; exit 1; }
bin="$(swift build --show-bin-path)/liplua"
out=$(mktemp -d /tmp/liplua-scripts.XXXXXX)
pass=0; fail=0
check() {  # name, command...
  local name="$1"; shift
  if "$@" >"$out/$name.log" 2>&1; then pass=$((pass + 1)); echo "ok   $name"
  else fail=$((fail + 1)); echo "FAIL $name"; tail -20 "$out/$name.log"; fi
}

check random-1hidden "$bin" scripts/paper/random_networks.lua --widths 6,8 --sparsities 3,5 --nets 2 \
  --degrees 2,3 --families by_input,path --samples 300 --out "$out/r1"
check random-2hidden "$bin" scripts/paper/random_networks.lua --hidden 2 --widths 5 --sparsities 3 --nets 2 \
  --degrees 3 --families by_input,path --samples 300 --out "$out/r2"
check mnist-local "$bin" scripts/paper/mnist.lua --no_global_lipopt --images 1 --radius 0.005 --samples 300 --out "$out/m"
check readme-example "$bin" scripts/examples/readme.lua
check cnn "$bin" scripts/paper/cnn.lua --images 1 --radius 0.002 --families path --samples 100 --out "$out/cnn"
check user-extensions "$bin" scripts/examples/user_extensions.lua
check define-by-name "$bin" scripts/paper/random_networks.lua --define scripts/examples/activation_leaky.lua \
  --define scripts/examples/family_multilinear_plus.lua --activation leaky0.1 --widths 6 --sparsities 3 --nets 1 \
  --degrees 2 --families path,by_input_sets+ --samples 200 --out "$out/ud"
check from-elsewhere sh -c "cd /tmp && '$bin' '$PWD/scripts/examples/readme.lua' >/dev/null && '$bin' '$PWD/scripts/paper/mnist.lua' --no_global --images 1 --radius 0.002 --samples 100 --out '$out/m2' >/dev/null"
check help "$bin" scripts/paper/random_networks.lua --help
check bad-option sh -c "! '$bin' scripts/paper/random_networks.lua --widht 3 2>/dev/null"

check outputs python3 - "$out" <<'PY'
import csv, json, sys, os, xml.etree.ElementTree as ET
out = sys.argv[1]
def rows(p): return list(csv.DictReader(open(p)))
problems = []
for stem, nets in [("r1/random-1hidden", 8), ("r2/random-2hidden", 2)]:
    runs = rows(f"{out}/{stem}-runs.csv")
    json.load(open(f"{out}/{stem}.json"))
    for f in os.listdir(os.path.dirname(f"{out}/{stem}")):
        if f.endswith(".svg"): ET.parse(f"{out}/{os.path.dirname(stem)}/{f}")
    by = {}
    for r in runs: by.setdefault((r["width"], r["sparsity"], r["seed"]), {})[r["method"]] = r
    if len(by) != nets: problems.append(f"{stem}: {len(by)} networks, expected {nets}")
    for key, m in by.items():
        lbs, ubp = float(m["LBS"]["bound"]), float(m["UBP"]["bound"])
        for name, r in m.items():
            if not (name.startswith("LiPopt") or name == "SDP"): continue
            if r["status"] != "certified": problems.append(f"{stem} {key} {name}: status {r['status']}")
            b = float(r["bound"])
            if not (lbs <= b * (1 + 1e-9) and b <= ubp * (1 + 1e-9)):
                problems.append(f"{stem} {key} {name}: chain violated LBS {lbs} <= {b} <= UBP {ubp}")
m = rows(f"{out}/m/mnist.csv")
ET.parse(f"{out}/m/mnist.svg"); json.load(open(f"{out}/m/mnist.json"))
settings = {}
for r in m: settings.setdefault(r["setting"], {})[r["method"]] = r
for s, ms in settings.items():
    lbs, ubp = float(ms["LBS"]["bound"]), float(ms["UBP"]["bound"])
    for name, r in ms.items():
        if name.startswith("LiPopt") or name == "SDP":
            b = float(r["bound"])
            if not (lbs <= b <= ubp): problems.append(f"mnist {s}: chain violated {lbs} <= {b} <= {ubp}")
if not any(k.startswith("LiPopt") for ms in settings.values() for k in ms): problems.append("mnist: no LiPopt row")
for p in problems: print(p)
sys.exit(1 if problems else 0)
PY

rm -rf "$out"
echo "scripts: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
