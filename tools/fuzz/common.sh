# Shared by tools/fuzz/run_long.sh and tools/fuzz/campaign.sh (sourced, not run):
# building a libFuzzer target and summarising a libFuzzer log in one line.
#
#   fuzz_build TARGET LOGFILE   sets $fuzz_binary (//tests/fuzz:TARGET_fuzzer built with
#                               --config=fuzz in $FUZZ_OUTPUT_BASE) or returns 2
#   fuzz_summary TARGET LOG SECONDS
#                               sets $fuzz_line: "TARGET: N execs in S s (E exec/s), edges C
#                               (cov), features F, corpus K inputs"
#   fuzz_flags TARGET           prints the libFuzzer flags TARGET always runs with
#   fuzz_findings DIR           prints how many crash-/leak-/timeout-/oom-/slow-unit- files
#                               DIR has

fuzz_output_base="${FUZZ_OUTPUT_BASE:-/root/.cache/bazel_fuzz}"

fuzz_build() {
  local target="$1" log="$2" bin_dir
  bazel --output_base="$fuzz_output_base" build --config=fuzz --symlink_prefix=/ \
    --noshow_progress "//tests/fuzz:${target}_fuzzer" >"$log" 2>&1 ||
    { tail -n 30 "$log"; echo "$target: build failed"; return 2; }
  bin_dir="$(bazel --output_base="$fuzz_output_base" info --config=fuzz bazel-bin 2>/dev/null)"
  fuzz_binary="$bin_dir/tests/fuzz/${target}_fuzzer"
  [ -x "$fuzz_binary" ] || { echo "$target: no binary at $fuzz_binary"; return 2; }
}

# libFuzzer's environment for every run: abort on the first ASan or UBSan report, so a
# sanitizer finding is a crash file; no leak detection (gRPC/protobuf singletons).
fuzz_env() {
  ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" "$@"
}

# libFuzzer flags every run of TARGET gets before the caller's own (a later flag wins):
#  -detect_leaks=0: leak checking is off in ASAN_OPTIONS (gRPC/protobuf singletons), and
#    libFuzzer would still run every input that allocates more than it frees a second time
#    to look for leaks; renderer_host keeps one browser across inputs, so most of them do.
#  renderer_host: -entropic_feature_frequency_threshold=16: an input runs thousands of
#    features; with the default (255) libFuzzer keeps thousands of them "rare" and searches
#    that list for each one after every run, which took half of the target's time. 16 keeps
#    the entropic schedule with a short list.
fuzz_flags() {
  case "$1" in
    renderer_host) echo "-detect_leaks=0 -entropic_feature_frequency_threshold=16" ;;
    *) echo "-detect_leaks=0" ;;
  esac
}

fuzz_summary() {
  local target="$1" log="$2" elapsed="$3" last execs cov ft corp rate
  last="$(grep -E '^#[0-9]+' "$log" | tail -n 1)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  [ -n "$execs" ] || execs="$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')"
  cov="$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')"
  ft="$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')"
  corp="$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')"
  [ "$elapsed" -gt 0 ] || elapsed=1
  rate=$(( ${execs:-0} / elapsed ))
  fuzz_line="$target: ${execs:-0} execs in ${elapsed} s (${rate} exec/s), edges ${cov:-?} (cov), features ${ft:-?}, corpus ${corp:-?} inputs"
}

fuzz_findings() {
  ls "$1" | grep -cE '^(crash|leak|timeout|oom|slow-unit)-' || true
}

# Prints the lines of a libFuzzer log that say what was found.
fuzz_finding_lines() {
  grep -E 'ERROR|INVARIANT VIOLATED|runtime error|after:|SUMMARY|Test unit written' "$1" |
    head -n 20
}
