#!/usr/bin/env bash
# Runs the multi-threaded tests under ThreadSanitizer (--config=tsan, README "Thread safety")
# and prints one closing line `N passed, N failed` counted from the GoogleTest results, where
# a test whose log holds a ThreadSanitizer report (made by a browser or renderer process it
# started, say) counts as failed even if its own cases passed. Extra arguments go to
# bazel test. Exit status: non-zero when a test failed or a report was found.
set -uo pipefail
cd "$(dirname "$0")/../.."

# The one list of tests run under ThreadSanitizer: every test with threads of its own or
# talking to another process. Patterns, so that a new test in these packages is included; a
# leading '-' leaves a test out.
TSAN_TESTS=(
  //tools/tsan:absl_mutex_annotations_test # the setup itself, both ways
  # Network stage: the event loop thread, the retry scheduler, the stage's shards.
  //net:event_loop_test
  //net:retry_scheduler_test
  //net:https_network_stage_test
  //net/testing:https_test_server_test
  # Browser core: the frame tree, quota and renderer hosts behind gRPC threads.
  //browser:all
  # IPC: gRPC servers and clients in one process.
  //ipc:echo_over_unix_socket_test
  //tests:fetch_later_ipc_test
  //tests:bad_message_test
  //tests:debug_service_test
  # Multi-process: the browser and renderer binaries (built with TSan too) as children.
  //tests:multiprocess_test
  //tests:https_end_to_end_test
  # Page scripts: JavaScriptCore in the renderer, timers and fetch() through the browser.
  //tests:page_script_test
  //renderer/script:all
)

bazel test --config=tsan "$@" -- "${TSAN_TESTS[@]}"
status=$?
# Exit code 4 means "no tests"; 0 all passed; 3 some failed; others are build errors.
# Count only this list's results (the directory may hold older runs of other tests).
query="tests($(printf ' + %s' "${TSAN_TESTS[@]}" | sed 's/^ + //; s/ + -/ - /g'))"
labels=$(bazel query "$query" 2>/dev/null)
counts=$(python3 tools/count_test_results.py --fail_on_log_line "WARNING: ThreadSanitizer:" \
  "$(bazel info --config=tsan bazel-testlogs 2>/dev/null)" $labels)
echo "$counts"
line=$(tail -n 1 <<<"$counts")
[ "$status" -eq 0 ] && [[ "$line" =~ ^[0-9]+\ passed,\ 0\ failed ]]
