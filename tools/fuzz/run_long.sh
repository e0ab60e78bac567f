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
# file into tests/fuzz/regressions/TARGET/ (see README "Fuzzing").
set -uo pipefail
cd "$(dirname "$0")/../.."

target="${1:?usage: run_long.sh TARGET SECONDS [libFuzzer flags]}"
seconds="${2:?usage: run_long.sh TARGET SECONDS [libFuzzer flags]}"
shift 2
output_base="${FUZZ_OUTPUT_BASE:-/root/.cache/bazel_fuzz}"
work="${FUZZ_WORK:-/tmp/fuzz_work}/$target"
mkdir -p "$work/corpus"

bazel --output_base="$output_base" build --config=fuzz --symlink_prefix=/ --noshow_progress \
  "//tests/fuzz:${target}_fuzzer" >"$work/build.log" 2>&1 ||
  { tail -n 30 "$work/build.log"; echo "$target: build failed"; exit 2; }
bin_dir="$(bazel --output_base="$output_base" info --config=fuzz bazel-bin 2>/dev/null)"
binary="$bin_dir/tests/fuzz/${target}_fuzzer"
[ -x "$binary" ] || { echo "$target: no binary at $binary"; exit 2; }

# -timeout: one input may take at most 25 s (renderer_host runs page steps on threads).
# -rss_limit_mb: ASan's quarantine grows; 2.5 GB leaves room on a small machine.
seeds="$(pwd)/tests/fuzz/corpus/$target"
log="$work/fuzz.log"
start=$(date +%s)
( cd "$work" && ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
  "$binary" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$work/" "$@" \
    "$work/corpus" "$seeds" ) >"$log" 2>&1
rc=$?
end=$(date +%s)

last="$(grep -E '^#[0-9]+' "$log" | tail -n 1)"
execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
[ -n "$execs" ] || execs="$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')"
cov="$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')"
ft="$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')"
corp="$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')"
elapsed=$((end - start))
[ "$elapsed" -gt 0 ] || elapsed=1
rate=$(( ${execs:-0} / elapsed ))
findings=$(ls "$work" | grep -cE '^(crash|leak|timeout|oom|slow-unit)-' || true)
if [ "$rc" -ne 0 ] && [ "$findings" -eq 0 ]; then findings=1; fi
echo "$target: ${execs:-0} execs in ${elapsed} s (${rate} exec/s), edges ${cov:-?} (cov), features ${ft:-?}, corpus ${corp:-?} inputs, findings ${findings}"
if [ "$rc" -ne 0 ]; then
  grep -E 'ERROR|INVARIANT VIOLATED|runtime error|after:|SUMMARY|Test unit written' "$log" | head -n 20
  echo "$target: FINDING (exit $rc), log: $log"
  exit 1
fi
exit 0
