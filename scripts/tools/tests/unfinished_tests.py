#!/usr/bin/env python3
"""Lists the tests a `swift test` log shows as started and never ended (after a timeout).

XCTest: "Test Case '-[M.C t]' started" without a passed/failed/skipped line.
swift-testing: "◇ Test t() started." without "✔/✘/↷ Test t() [with N test cases] passed|failed|skipped".
Parameterized cases only report their test's end, so cases are not listed separately.
"""
import re
import sys

text = open(sys.argv[1], errors="replace").read()
open_cases = []
for m in re.finditer(r"Test Case '([^']+)' (started|passed|failed|skipped)", text):
    name, what = m.groups()
    if what == "started":
        open_cases.append(name)
    elif name in open_cases:
        open_cases.remove(name)
started = re.findall(r"◇ Test (?!run started|case passing)(.+?) started\.", text)
ended = set(re.findall(r"[✔✘↷] Test (.+?)(?: with \d+ test cases?)? (?:passed|failed|skipped)", text))
hung = open_cases + [t for t in dict.fromkeys(started) if t not in ended]
print("\n".join("  " + t for t in hung) if hung else "  (none found in the log)")
