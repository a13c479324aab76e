#!/usr/bin/env python3
"""Lists the tests a `swift test` log shows as started and never ended (after a timeout).

XCTest: "Test Case '-[M.C t]' started" without a passed/failed/skipped line.
swift-testing: "◇ Test t() started." without "✔/✘/↷ Test t() [with N test cases] passed|failed|skipped".
Parameterized cases only report their test's end, so cases are not listed separately;
swift-testing reports ends in batches, so only a short list of its tests is printed.
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
running = [t for t in dict.fromkeys(started) if t not in ended]
for t in open_cases:
    print("  XCTest: " + t)
# swift-testing prints its end events in batches, so a long list says little: the stacks the
# test command prints next name the test functions that are stuck.
if 0 < len(running) <= 30:
    for t in running:
        print("  swift-testing: " + t)
elif running:
    print("  swift-testing: %d tests without an end event (it reports ends in batches; see the stacks)" % len(running))
if not open_cases and not running:
    print("  (none found in the log)")
