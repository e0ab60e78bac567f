#!/usr/bin/env python3
"""Counts test cases from Bazel's JUnit XML results and prints `N passed, N failed`.

Bazel's own summary counts test *targets*; this counts the GoogleTest cases inside them, and
counts a target that produced no XML (a crash before gtest wrote it) as one failure.
Usage: count_test_results.py [--fail_on_log_line TEXT] BAZEL_TESTLOGS_DIR [TARGET_LABEL ...]
  TARGET_LABEL: count only these tests (//pkg:name), not every result under the directory.
  --fail_on_log_line TEXT: a target whose test.log has a line containing TEXT counts as one
    failure even when all its cases passed (e.g. a sanitizer report by a child process).
"""
import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET


def log_has_line(path, text):
    try:
        with open(path, errors="replace") as f:
            return any(text in line for line in f)
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fail_on_log_line")
    parser.add_argument("logs")
    parser.add_argument("labels", nargs="*")
    args = parser.parse_args()
    logs = args.logs
    only = {label.lstrip("/").replace(":", "/") for label in args.labels}
    passed = failed = skipped = 0
    failures = []
    for root, _, files in os.walk(logs, followlinks=True):
        if "test.xml" not in files:
            continue
        # Leftovers of a manual --runs_per_test run (CI never uses it) would count twice.
        if re.fullmatch(r"run_\d+_of_\d+", os.path.basename(root)):
            continue
        path = os.path.join(root, "test.xml")
        rel = os.path.relpath(root, logs)
        if only and rel not in only:
            continue
        failed_before = failed
        try:
            tree = ET.parse(path)
        except ET.ParseError as e:
            failed += 1
            failures.append(f"{rel}: unreadable test.xml ({e})")
            continue
        cases = list(tree.iter("testcase"))
        if not cases:
            # Bazel writes a one-case XML for a binary that died before gtest wrote its own.
            failed += 1
            failures.append(f"{rel}: no test cases recorded")
            continue
        for case in cases:
            name = f"{rel}: {case.get('classname', '')}.{case.get('name', '')}"
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                failures.append(name)
            elif case.find("skipped") is not None or case.get("result") == "suppressed" \
                    or case.get("status") == "notrun":
                skipped += 1
            else:
                passed += 1
        if (args.fail_on_log_line and failed == failed_before
                and log_has_line(os.path.join(root, "test.log"), args.fail_on_log_line)):
            failed += 1
            failures.append(f"{rel}: test.log has '{args.fail_on_log_line}'")
    for f in failures:
        print(f"FAILED {f}")
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
