#!/usr/bin/env bash
# Runs one libFuzzer target for a while and reports its speed and coverage.
#
#   tools/fuzz/run_long.sh TARGET SECONDS [extra libFuzzer flags...]
#   tools/fuzz/run_long.sh renderer_host 300
#
# TARGET is one of: renderer_host permissions_policy url http1_response scenario_reader.
# Builds //tests/fuzz:TARGET_fuzzer with --config=fuzz (clang-14, ASan+UBSan+libFuzzer) in
# its own output base (FUZZ_OUTPUT_BASE, default /root/.cache/bazel_fuzz), runs it for
# SECONDS on a scratch corpus seeded with tests/fuzz/corpus/TARGET (new inputs stay in
# $FUZZ_WORK/TARGET/corpus; nothing is written to the checkout), one job, and prints:
#   TARGET: N execs in S s (E exec/s), edges C (cov), features F, corpus K inputs, findings X
# A finding (crash, sanitizer report, "INVARIANT VIOLATED", timeout, OOM) is copied to
# $FUZZ_WORK/TARGET/ and the exit status is 1; to keep it as a regression test, copy the
# file into tests/fuzz/regressions/TARGET/ (see README "Fuzzing"). For hours-long runs
# that minimise their corpus back into the checkout, see tools/fuzz/campaign.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tools/fuzz/common.sh

target="${1:?usage: run_long.sh TARGET SECONDS [libFuzzer flags]}"
seconds="${2:?usage: run_long.sh TARGET SECONDS [libFuzzer flags]}"
shift 2
work="${FUZZ_WORK:-/tmp/fuzz_work}/$target"
mkdir -p "$work/corpus"

fuzz_build "$target" "$work/build.log" || exit 2

# -timeout: one input may take at most 25 s (a hung input is a finding, not a slow one).
# -rss_limit_mb: ASan's quarantine grows; 2.5 GB leaves room on a small machine.
seeds="$(pwd)/tests/fuzz/corpus/$target"
log="$work/fuzz.log"
start=$(date +%s)
( cd "$work" && fuzz_env "$fuzz_binary" -max_total_time="$seconds" -timeout=25 \
    -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$work/" \
    $(fuzz_flags "$target") "$@" \
    "$work/corpus" "$seeds" ) >"$log" 2>&1
rc=$?
end=$(date +%s)

fuzz_summary "$target" "$log" $((end - start))
findings=$(fuzz_findings "$work")
if [ "$rc" -ne 0 ] && [ "$findings" -eq 0 ]; then findings=1; fi
echo "$fuzz_line, findings ${findings}"
if [ "$rc" -ne 0 ]; then
  fuzz_finding_lines "$log"
  echo "$target: FINDING (exit $rc), log: $log"
  exit 1
fi
exit 0
