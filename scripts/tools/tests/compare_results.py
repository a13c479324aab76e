#!/usr/bin/env python3
"""Compares the outputs of two runs of a liplua sweep script row for row.

    python3 scripts/tools/tests/compare_results.py DIR_A DIR_B FILE [FILE ...]

Each FILE (a CSV or JSON name relative to both folders) must have the same rows in the same
order, the same text fields, and numbers equal to a relative 1e-9 (LP bounds computed in
different processes may differ in the last bits). Timing columns (seconds, cpu_seconds,
build_seconds, solve_seconds, mean_seconds, seconds_per_image, cpu_seconds_per_image) and the
JSON keys "options" and "machine" are not compared. Prints one line per file and
"compare: N passed, M failed"; exits 1 on any difference.
"""
import csv
import json
import math
import os
import sys

TIMING = {"seconds", "cpu_seconds", "build_seconds", "solve_seconds", "mean_seconds",
          "seconds_per_image", "cpu_seconds_per_image"}
SKIP_JSON = {"options", "machine"}
TOL = 1e-9


def number(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def same_value(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    x = a if isinstance(a, (int, float)) else number(a)
    y = b if isinstance(b, (int, float)) else number(b)
    if x is None or y is None:
        return a == b
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= TOL * max(1.0, abs(x), abs(y))


def compare_csv(pa, pb):
    ra, rb = list(csv.DictReader(open(pa, newline=""))), list(csv.DictReader(open(pb, newline="")))
    if len(ra) != len(rb):
        return [f"{len(ra)} rows vs {len(rb)} rows"]
    if not ra:
        return ["no rows"]
    if list(ra[0].keys()) != list(rb[0].keys()):
        return [f"columns {list(ra[0].keys())} vs {list(rb[0].keys())}"]
    problems = []
    for i, (x, y) in enumerate(zip(ra, rb), start=1):
        for k in x:
            if k in TIMING:
                continue
            if not same_value(x[k], y[k]):
                problems.append(f"row {i} column {k}: {x[k]!r} vs {y[k]!r}")
    return problems


def compare_json(a, b, where="$"):
    problems = []
    if isinstance(a, dict) and isinstance(b, dict):
        keys = (set(a) | set(b)) - (SKIP_JSON if where == "$" else set()) - TIMING
        for k in sorted(keys):
            if k not in a or k not in b:
                problems.append(f"{where}.{k}: only in one file")
            else:
                problems += compare_json(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} entries"]
        for i, (x, y) in enumerate(zip(a, b)):
            problems += compare_json(x, y, f"{where}[{i}]")
    elif not same_value(a, b):
        problems.append(f"{where}: {a!r} vs {b!r}")
    return problems


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    da, db, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    passed = failed = 0
    for f in files:
        pa, pb = os.path.join(da, f), os.path.join(db, f)
        try:
            if f.endswith(".csv"):
                problems = compare_csv(pa, pb)
            else:
                problems = compare_json(json.load(open(pa)), json.load(open(pb)))
        except (OSError, ValueError) as e:
            problems = [str(e)]
        if problems:
            failed += 1
            print(f"FAIL {f}: " + "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""))
        else:
            passed += 1
            print(f"ok   {f}")
    print(f"compare: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
