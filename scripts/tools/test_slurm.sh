#!/usr/bin/env bash
# A real single-node Slurm on this machine (scripts/slurm/cluster.sh: munged, slurmctld and
# slurmd as this test's own processes), then 4-task job arrays of
#   - the certification script (4 committed test images, the committed ReLU network), and
#   - a random-network sweep (8 tiny networks),
# each with its afterok merge job, submitted by scripts/slurm/submit. The merged outputs must
# equal one-process runs row for row (numbers to 1e-9). The daemons are stopped on exit.
# Installs slurm-wlm and munge when missing (scripts/tools/setup --slurm). When Slurm cannot
# start here it prints one line "slurm: skipped: <reason>" and exits 0.
# Prints "slurm: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
t0=$(date +%s)
bash scripts/tools/setup --slurm >/dev/null 2>&1 || true
swift build --product liplua 2>&1 | grep -E "error:" && { echo "slurm: 0 passed, 1 failed (build)"; exit 1; }
bin="$(swift build --show-bin-path)/liplua"
out=$(mktemp -d /tmp/liplua-slurm-test.XXXXXX)
state="$out/cluster"
cleanup() {
  bash scripts/slurm/cluster.sh stop "$state" >/dev/null 2>&1
  rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && [ -f "$2" ] && tail -20 "$2"; }

if ! bash scripts/slurm/cluster.sh start "$state" >"$out/start.log" 2>&1; then
  reason=$(grep -m1 "cannot start" "$out/start.log" | sed 's/^slurm: cannot start: //')
  echo "slurm: skipped: Slurm cannot start on this machine: ${reason:-$(tail -1 "$out/start.log")}"
  exit 0
fi
ok "cluster started ($(grep -o 'node [^,]*' "$out/start.log" | head -1))"
export SLURM_CONF="$state/slurm.conf"

cert=(scripts/paper/certify.lua --images 1-4 --radii 0.0005 --samples 50 --quiet)
rn=(scripts/paper/random_networks.lua --widths 6,8 --sparsities 3,5 --nets 2 --degrees 2 --families by_input,path --samples 300 --quiet)
stem=certify-fashion-mnist-300-100-relu-pruned

submit() {  # name, command... -> sets the ids in $out/<name>.ids
  local name="$1"; shift
  if LIPLUA="$bin" bash scripts/slurm/submit --tasks 4 --time 5 --mem 1024 -- "$@" >"$out/$name-submit.log" 2>&1 \
     && grep -q "^array_job=[0-9]* merge_job=[0-9]*$" "$out/$name-submit.log"; then
    ok "$name: submitted ($(grep -o 'array job [0-9]*' "$out/$name-submit.log"), $(grep -o 'merge job [0-9]*' "$out/$name-submit.log"))"
  else
    bad "$name: submit" "$out/$name-submit.log"
  fi
}
submit certify "${cert[@]}" --out "$out/cert-array"
submit random "${rn[@]}" --out "$out/rn-array"

# The oracles run here while the arrays run under Slurm.
"$bin" "${cert[@]}" --out "$out/cert-one" >"$out/cert-one.log" 2>&1 || bad "certify: one-process run" "$out/cert-one.log"
"$bin" "${rn[@]}" --out "$out/rn-one" >"$out/rn-one.log" 2>&1 || bad "random: one-process run" "$out/rn-one.log"

# Wait for the merge jobs (scontrol keeps finished jobs for MinJobAge = 300 s).
job_state() { scontrol show job "$1" 2>/dev/null | grep -o "JobState=[A-Z_]*" | head -1 | cut -d= -f2; }
for name in certify random; do
  ids=$(grep "^array_job=" "$out/$name-submit.log" 2>/dev/null) || continue
  array=${ids#array_job=}; array=${array%% *}; merge=${ids##*merge_job=}
  st=""
  for _ in $(seq 1 240); do
    st=$(job_state "$merge")
    case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL|"") break ;; esac
    sleep 0.5
  done
  tasks_ok=$(scontrol show job "$array" 2>/dev/null | grep -c "JobState=COMPLETED")
  if [ "$st" = "COMPLETED" ] && [ "$tasks_ok" -eq 4 ]; then ok "$name: 4 tasks and the merge job completed"
  else
    bad "$name: array $array ($tasks_ok of 4 tasks completed), merge job $merge state '${st:-gone}'"
    scontrol show job "$array" 2>/dev/null | grep -E "JobState|ExitCode" | head -8
    tail -5 "$out"/*-array/slurm/*.out 2>/dev/null | head -30
  fi
done
ls "$out/cert-array/shards/$stem" 2>/dev/null | grep -q "shard-4-of-4.jsonl" && ok "certify: 4 shard files" || bad "certify: 4 shard files"

compare="python3 scripts/tools/tests/compare_results.py"
if $compare "$out/cert-one" "$out/cert-array" "$stem-images.csv" "$stem-balls.csv" "$stem-margins.csv" \
     "$stem-accuracy.csv" "$stem.json" >"$out/cmp-cert.log" 2>&1; then
  ok "certify: merged array = one process, row for row"
else bad "certify: merged array = one process" "$out/cmp-cert.log"; fi
if $compare "$out/rn-one" "$out/rn-array" random-1hidden-runs.csv random-1hidden-summary.csv random-1hidden.json \
     >"$out/cmp-rn.log" 2>&1; then
  ok "random: merged array = one process, row for row"
else bad "random: merged array = one process" "$out/cmp-rn.log"; fi
# The certification rows themselves: 4 images x 9 margins, every bound present and above LBS.
python3 - "$out/cert-array/$stem-margins.csv" >"$out/cert-rows.log" 2>&1 <<'PY' && ok "certify: 36 margin rows, LBS <= bound" || bad "certify: margin rows" "$out/cert-rows.log"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 36, len(rows)
for r in rows:
    assert r["status"] == "certified", r
    assert float(r["lbs"]) <= float(r["bound"]) * (1 + 1e-9), r
    assert abs(float(r["ratio"]) - float(r["margin"]) / float(r["bound"])) <= 1e-12 * float(r["ratio"]) + 1e-15, r
PY

bash scripts/slurm/cluster.sh stop "$state" >/dev/null 2>&1
if pgrep -f "$state" >/dev/null 2>&1; then bad "daemons stopped"; else ok "daemons stopped"; fi
echo "slurm: $pass passed, $fail failed ($(( $(date +%s) - t0 )) s)"
[ "$fail" -eq 0 ]
