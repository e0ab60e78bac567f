#!/usr/bin/env bash
# A long fuzzing campaign for one target, whose corpus is minimised back into the checkout.
#
#   tools/fuzz/campaign.sh TARGET HOURS [extra libFuzzer flags...]
#   nohup tools/fuzz/campaign.sh renderer_host 1 >/tmp/campaign_renderer_host.txt 2>&1 &
#
# TARGET is one of: renderer_host permissions_policy url http1_response scenario_reader;
# HOURS may be a fraction (0.05 is three minutes). Steps:
#  1. builds //tests/fuzz:TARGET_fuzzer with --config=fuzz, as run_long.sh does;
#  2. runs it for HOURS, one job (one process: other work shares this machine), on a
#     fresh scratch corpus ($FUZZ_WORK/campaign/TARGET/corpus, default FUZZ_WORK
#     /tmp/fuzz_work) seeded with tests/fuzz/corpus/TARGET; it stops early on a finding;
#  3. minimises the checked-in corpus plus everything the run found with libFuzzer's
#     -merge=1 (the smallest inputs that keep every feature) and, when the result is at most
#     CAMPAIGN_MAX_KB (default 300) KB, replaces tests/fuzz/corpus/TARGET/ with it (review
#     with `git status`, then commit); a larger one stays in the scratch directory;
#  4. prints run_long.sh's line plus the checked-in corpus before and after:
#   TARGET: N execs in S s (E exec/s), edges C (cov), features F, corpus K inputs,
#   findings X; checked-in corpus A inputs (B bytes) -> A' inputs (B' bytes)
# A finding (crash, sanitizer report, "INVARIANT VIOLATED", timeout, OOM) stays in the
# scratch directory and the exit status is 1: reproduce it with the g++ replayer, fix the
# bug (or the harness, if the harness is wrong), and only then copy the input into
# tests/fuzz/regressions/TARGET/ (README "Fuzzing").
set -uo pipefail
cd "$(dirname "$0")/../.."
. tools/fuzz/common.sh

usage="usage: campaign.sh TARGET HOURS [libFuzzer flags]"
target="${1:?$usage}"
hours="${2:?$usage}"
shift 2
seconds="$(awk -v h="$hours" 'BEGIN { s = int(h * 3600); if (s < 1) s = 1; print s }')"
max_kb="${CAMPAIGN_MAX_KB:-300}"
work="${FUZZ_WORK:-/tmp/fuzz_work}/campaign/$target"
checked_in="$(pwd)/tests/fuzz/corpus/$target"
[ -d "$checked_in" ] || { echo "$target: no corpus directory $checked_in"; exit 2; }
rm -rf "$work"
mkdir -p "$work/corpus" "$work/merged"

corpus_size() {  # "N inputs (B bytes)"
  echo "$(find "$1" -type f | wc -l) inputs ($(find "$1" -type f -printf '%s\n' |
    awk '{ s += $1 } END { print s + 0 }') bytes)"
}
before="$(corpus_size "$checked_in")"

fuzz_build "$target" "$work/build.log" || exit 2

log="$work/fuzz.log"
echo "$target: fuzzing for ${seconds} s from ${before}; log: $log"
start=$(date +%s)
( cd "$work" && fuzz_env "$fuzz_binary" -max_total_time="$seconds" -timeout=25 \
    -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$work/" \
    $(fuzz_flags "$target") "$@" \
    "$work/corpus" "$checked_in" ) >"$log" 2>&1
rc=$?
end=$(date +%s)
fuzz_summary "$target" "$log" $((end - start))
findings=$(fuzz_findings "$work")
if [ "$rc" -ne 0 ] && [ "$findings" -eq 0 ]; then findings=1; fi

# Minimise: what the campaign found plus what was checked in, into an empty directory.
( cd "$work" && fuzz_env "$fuzz_binary" -merge=1 -timeout=25 -rss_limit_mb=2560 \
    -artifact_prefix="$work/merge-" "$work/merged" "$checked_in" "$work/corpus" ) \
  >"$work/merge.log" 2>&1 ||
  { tail -n 20 "$work/merge.log"; echo "$target: merge failed, log: $work/merge.log"; exit 2; }
merged="$(corpus_size "$work/merged")"
merged_bytes="$(find "$work/merged" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')"
if [ "$merged_bytes" -le $((max_kb * 1024)) ]; then
  find "$checked_in" -type f -delete
  cp "$work/merged"/* "$checked_in"/ 2>/dev/null || true
  after="$(corpus_size "$checked_in")"
else
  after="unchanged: the merged corpus, ${merged}, is over ${max_kb} KB; it stays in $work/merged"
fi

echo "$fuzz_line, findings ${findings}; checked-in corpus ${before} -> ${after}"
if [ "$rc" -ne 0 ]; then
  fuzz_finding_lines "$log"
  echo "$target: FINDING (exit $rc), log: $log"
  exit 1
fi
exit 0
