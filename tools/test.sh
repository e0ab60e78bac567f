#!/usr/bin/env bash
# Builds everything and runs every test (`bazel test //...`), then prints one closing line
# `N passed, N failed` counted from the GoogleTest results. Extra arguments go to bazel test.
# Exit status: bazel's (0 only when every test passed).
set -uo pipefail
cd "$(dirname "$0")/.."

bazel test //... "$@"
status=$?
# Exit code 4 means "no tests"; 0 all passed; 3 some failed; others are build errors.
python3 tools/count_test_results.py "$(bazel info bazel-testlogs 2>/dev/null)"
exit $status
