#!/usr/bin/env python3
"""Checks a run's coverage.json: the run finished, and every documented (status, code) pair
of every operation was covered by a scenario that passed. Prints one summary line; on a
gap, each uncovered pair and exit code 1. Usage: all-pairs-covered.py LABEL COVERAGE_JSON"""
import json
import sys

label, path = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as file:
    coverage = json.load(file)
gaps, pairs = [], 0
if not (coverage.get("finished") and coverage.get("ran")):
    gaps.append("the run did not finish")
for operation in coverage.get("operations", []):
    for pair in operation.get("pairs", []):
        pairs += 1
        if pair.get("state") != "covered" or not pair.get("passed"):
            name = f"{pair.get('status')} {pair.get('code') or ''}".strip()
            gaps.append(f"{operation.get('id')}: {name} is {pair.get('state')}")
if gaps or pairs == 0:
    print(f"error: coverage ({label}, {path}): not every documented pair is covered", file=sys.stderr)
    for gap in gaps or ["no documented pair at all"]:
        print(f"  {gap}", file=sys.stderr)
    sys.exit(1)
operations = len(coverage["operations"])
print(f"coverage ({label}): {operations} operations, {pairs} documented pairs, each covered by a passing scenario")
