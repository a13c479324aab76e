#!/usr/bin/env bash
# Sharded, resumable sweeps on this machine (no Slurm needed), with the real scripts:
#   - shards 1..3 of a random-network sweep, merged, equal a one-process run row for row;
#   - refusals with a clear message and a non-zero exit: a shard spec out of range or
#     malformed, an empty slice, a missing / corrupt shard file, two shards claiming a row,
#     shards of other options, a test-set index beyond the file, an unknown relaxation;
#   - Slurm's array variables select the shard;
#   - Ctrl-C (SIGINT) mid-sweep keeps the finished rows and exits 130; a re-run resumes and
#     ends with the outputs of an uninterrupted run;
#   - a file-size limit (ulimit -f): the failure is reported, exit non-zero, no "wrote", and
#     earlier outputs stay intact (atomic writes).
# Prints "shards: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
swift build --product liplua 2>&1 | grep -E "error:" && { echo "shards: 0 passed, 1 failed (build)"; exit 1; }
bin="$(swift build --show-bin-path)/liplua"
out=$(mktemp -d /tmp/liplua-shards.XXXXXX)
trap 'rm -rf "$out"' EXIT
pass=0; fail=0
ok()   { pass=$((pass + 1)); echo "ok   $1"; }
bad()  { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && [ -f "$2" ] && tail -15 "$2"; }
compare="python3 scripts/tools/tests/compare_results.py"

rn=(scripts/paper/random_networks.lua --widths 6,8 --sparsities 3,5 --nets 2 --degrees 2 --families by_input,path --samples 300 --quiet)
files=(random-1hidden-runs.csv random-1hidden-summary.csv random-1hidden.json)

# expect NAME CODE PATTERN command...: exit code CODE and PATTERN (grep -E) in the output.
expect() {
  local name="$1" code="$2" pattern="$3"; shift 3
  "$@" >"$out/$name.log" 2>&1
  local rc=$?
  if [ "$rc" -eq "$code" ] && grep -qE -- "$pattern" "$out/$name.log"; then ok "$name"
  else bad "$name (exit $rc, expected $code and /$pattern/)" "$out/$name.log"; fi
}

# 1. The oracle: one process. Then three shards and a merge.
expect one-process 0 "wrote" "$bin" "${rn[@]}" --out "$out/one"
for i in 1 2 3; do
  expect "shard-$i-of-3" 0 "shard $i/3 done" "$bin" "${rn[@]}" --shard "$i/3" --out "$out/sh"
done
expect merge 0 "merged 8 items of 'random-1hidden' from 3 shard file" "$bin" scripts/tools/merge.lua "$out/sh"
if $compare "$out/one" "$out/sh" "${files[@]}" >"$out/cmp.log" 2>&1; then ok "merged = one process"; else bad "merged = one process" "$out/cmp.log"; fi
expect merge-option 0 "wrote" "$bin" scripts/paper/random_networks.lua --merge --out "$out/sh"

# The certification script: one process vs two shards + merge, and its rows checked against
# the definition (certified at eps iff margin_j > L_j·eps for every class j; radius = min(eps,
# min_j margin_j / L_j)), recomputed here from the margin rows.
cert=(scripts/paper/certify.lua --images 1-2 --radii 0.0005,0.001 --samples 50 --quiet)
cstem=certify-fashion-mnist-300-100-relu-pruned
expect certify-one 0 "wrote" "$bin" "${cert[@]}" --out "$out/c1"
expect certify-shard-1 0 "shard 1/2 done" "$bin" "${cert[@]}" --shard 1/2 --out "$out/c2"
expect certify-shard-2 0 "shard 2/2 done" "$bin" "${cert[@]}" --shard 2/2 --out "$out/c2"
expect certify-merge 0 "wrote" "$bin" scripts/tools/merge.lua "$out/c2"
if $compare "$out/c1" "$out/c2" "$cstem-balls.csv" "$cstem-margins.csv" "$cstem-accuracy.csv" >"$out/cmp-c.log" 2>&1; then
  ok "certify: merged = one process"; else bad "certify: merged = one process" "$out/cmp-c.log"; fi
python3 - "$out/c1/$cstem-balls.csv" "$out/c1/$cstem-margins.csv" >"$out/c-def.log" 2>&1 <<'PY2' && ok "certify: rows follow the definition" || bad "certify: rows follow the definition" "$out/c-def.log"
import csv, sys
balls = list(csv.DictReader(open(sys.argv[1])))
margins = list(csv.DictReader(open(sys.argv[2])))
assert len(balls) == 4, len(balls)
for b in balls:
    ms = [m for m in margins if m["image"] == b["image"] and m["eps"] == b["eps"]]
    assert len(ms) == 9, (b, len(ms))
    eps = float(b["eps"])
    holds = all(float(m["margin"]) > float(m["bound"]) * eps for m in ms)
    assert (b["certified"] == "true") == holds, b
    r = min(eps, min(float(m["margin"]) / float(m["bound"]) for m in ms))
    assert abs(float(b["radius"]) - r) <= 1e-12 * r, (b["radius"], r)
    assert all(float(m["lbs"]) <= float(m["bound"]) for m in ms)
print("checked", len(balls), "balls")
PY2

# 2. Slurm's variables select the shard (task 2 of an array 1-2 is shard 2/2: items 2, 4, 6, 8).
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=2 SLURM_ARRAY_TASK_COUNT=2 \
  expect slurm-env 0 "shard 2/2 done \(4 items computed" "$bin" "${rn[@]}" --out "$out/env"
if [ -f "$out/env/shards/random-1hidden/shard-2-of-2.jsonl" ] && [ "$(wc -l <"$out/env/shards/random-1hidden/shard-2-of-2.jsonl")" -eq 5 ]; then
  ok "slurm-env file"; else bad "slurm-env file (expected shard-2-of-2.jsonl with a header and 4 rows)"; fi

# 3. Refusals.
expect shard-out-of-range 2 "--shard 5/4 is out of range: shards are numbered 1..4" "$bin" "${rn[@]}" --shard 5/4 --out "$out/x"
expect shard-zero 2 "out of range" "$bin" "${rn[@]}" --shard 0/4 --out "$out/x"
expect shard-malformed 2 "expected i/n" "$bin" "${rn[@]}" --shard two/4 --out "$out/x"
expect empty-slice 2 "shard 9/9 of 'random-1hidden' has no work: the sweep has 8 item\(s\); use at most 8 shards" \
  "$bin" "${rn[@]}" --shard 9/9 --out "$out/x"
cp -r "$out/sh" "$out/missing"; rm "$out/missing/shards/random-1hidden/shard-2-of-3.jsonl"
expect missing-shard-file 1 "3 of 8 rows of 'random-1hidden' are missing; missing shard file\(s\): .*shard-2-of-3.jsonl" \
  "$bin" scripts/tools/merge.lua "$out/missing"
grep -q "w=8 s=3 seed=0 (item 5, shard 2/3, no file)" "$out/missing-shard-file.log" && ok "missing rows listed" || bad "missing rows listed" "$out/missing-shard-file.log"
cp -r "$out/sh" "$out/corrupt"; f="$out/corrupt/shards/random-1hidden/shard-1-of-3.jsonl"
sed -i '2s/"rows"/"rows/' "$f"
expect corrupt-shard-file 1 "shard-1-of-3.jsonl: line 2 is corrupt" "$bin" scripts/tools/merge.lua "$out/corrupt"
cp -r "$out/sh" "$out/dup"; sed -n 2p "$out/dup/shards/random-1hidden/shard-3-of-3.jsonl" >>"$out/dup/shards/random-1hidden/shard-1-of-3.jsonl"
expect duplicate-rows 1 "1 row\(s\) claimed by two shard files" "$bin" scripts/tools/merge.lua "$out/dup"
expect other-options 1 "written with other options \(samples 300 vs 400\)" "$bin" "${rn[@]}" --samples 400 --shard 1/3 --out "$out/sh"
expect merge-nothing 1 "no shard files under" "$bin" scripts/tools/merge.lua "$out/nothing-here"
expect index-beyond-file 2 "--images 10-20: .* has 16 images \(1..16\)" "$bin" scripts/paper/certify.lua --images 10-20 --out "$out/c"
expect index-zero 2 "expected i-j with 1 <= i <= j" "$bin" scripts/paper/certify.lua --images 0-3 --out "$out/c"
expect relaxation-unknown 2 "--relaxation nosuch is not available \(have: best, ubp, lp, sdp\)" "$bin" scripts/paper/certify.lua --relaxation nosuch --out "$out/c"

# 4. Ctrl-C mid-sweep: finished rows stay, exit 130; the re-run resumes.
big=(scripts/paper/random_networks.lua --widths 10,12,14 --sparsities 3,5,7 --nets 3 --degrees 3 --families by_input,path --samples 300 --quiet)
"$bin" "${big[@]}" --out "$out/int" >"$out/int.log" 2>&1 &
pid=$!
sf="$out/int/shards/random-1hidden/shard-1-of-1.jsonl"
for _ in $(seq 1 600); do
  [ -f "$sf" ] && [ "$(wc -l <"$sf")" -ge 4 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
kill -INT "$pid" 2>/dev/null
wait "$pid"; rc=$?
kept=$(($(wc -l <"$sf") - 1))
if [ "$rc" -eq 130 ] && grep -q "interrupted" "$out/int.log" && [ "$kept" -ge 3 ] && [ "$kept" -lt 27 ] \
   && [ ! -f "$out/int/random-1hidden-runs.csv" ]; then
  ok "sigint: exit 130, $kept of 27 rows kept, no outputs"
else
  bad "sigint (exit $rc, $kept rows kept)" "$out/int.log"
fi
if python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$sf" 2>"$out/int-json.log"; then ok "sigint: shard file is valid JSON lines"
else bad "sigint: shard file is valid JSON lines" "$out/int-json.log"; fi
expect resume 0 "\($kept done earlier, resuming\)" "$bin" "${big[@]}" --out "$out/int"
expect uninterrupted 0 "wrote" "$bin" "${big[@]}" --out "$out/int-oracle"
if $compare "$out/int-oracle" "$out/int" "${files[@]}" >"$out/cmp2.log" 2>&1; then ok "resumed = uninterrupted"; else bad "resumed = uninterrupted" "$out/cmp2.log"; fi

# 5. A file-size limit: reported, non-zero, no "wrote", earlier outputs intact, no temporary files.
cp -r "$out/one" "$out/fs"; cp -r "$out/one" "$out/fs-before"
# (the log goes through a pipe: the limit applies to every file the process writes)
( ulimit -f 2; exec "$bin" "${rn[@]}" --out "$out/fs" ) 2>&1 | cat >"$out/fs.log"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ] && grep -q "cannot write .*File too large" "$out/fs.log" && ! grep -q "^wrote" "$out/fs.log"; then
  ok "ulimit -f: reported, exit $rc"
else bad "ulimit -f (exit $rc)" "$out/fs.log"; fi
if diff -r "$out/fs-before" "$out/fs" >/dev/null && ! ls "$out/fs" | grep -q "tmp-"; then ok "ulimit -f: earlier outputs intact"
else bad "ulimit -f: earlier outputs intact"; diff -r "$out/fs-before" "$out/fs" | head -5; fi
( ulimit -f 1; exec "$bin" "${rn[@]}" --out "$out/fs2" ) 2>&1 | cat >"$out/fs2.log"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ] && grep -q "cannot write .*shard-1-of-1.jsonl.*File too large" "$out/fs2.log" && ! grep -q "^wrote" "$out/fs2.log"; then
  ok "ulimit -f: shard appends checked, exit $rc"
else bad "ulimit -f: shard appends checked (exit $rc)" "$out/fs2.log"; fi

# The log itself past the limit: the error message cannot be written, the exit code still
# says so (1), and nothing traps (a trap would be 132 or 133).
cp -r "$out/one" "$out/fs3"                 # every row done: the outputs' writes fail
head -c 4096 /dev/zero >"$out/fs3.log"   # already past the 2 KB limit: every write to it fails
( ulimit -f 2; exec "$bin" "${rn[@]}" --out "$out/fs3" ) >>"$out/fs3.log" 2>&1
rc=$?
if [ "$rc" -eq 1 ]; then ok "ulimit -f: stderr past the limit, exit 1"; else bad "ulimit -f: stderr past the limit (exit $rc)"; fi

echo "shards: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
