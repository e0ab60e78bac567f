#!/bin/bash
# Runs tests/debug_python_test.py (Debian's /usr/bin/python3 with python3-grpcio
# and python3-protobuf) against the real browser binary:
#   1. generates the Python stubs for ipc/debug.proto and the other ipc/*.proto
#      into $TEST_TMPDIR;
#   2. starts browser/browser (virtual time, --net-log, every host mapped to
#      127.0.0.1:1, refused, so nothing leaves the machine) and reads its start line;
#   3. runs the client with that line;
#   4. SIGTERMs the browser, expects exit status 0, and checks every line of the
#      --net-log file is a JSON object with a sequence, a type and fields.
set -u

RUNFILES="${TEST_SRCDIR:?}/fetch_later"
BROWSER="$RUNFILES/browser/browser"
RENDERER="$RUNFILES/renderer/renderer"
CLIENT="$RUNFILES/tests/debug_python_test.py"
PYTHON=/usr/bin/python3
WORK="${TEST_TMPDIR:?}/debug"
mkdir -p "$WORK/gen"

fail() {
  echo "FAIL $*"
  exit 1
}

/usr/bin/protoc -I"$RUNFILES" --python_out="$WORK/gen" --grpc_python_out="$WORK/gen" \
  --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
  "$RUNFILES"/ipc/{fetch_types,page_step,renderer_host,browser_control}.proto "$RUNFILES/ipc/debug.proto" ||
  fail "protoc"
cp "$RUNFILES/tests/ipc_stubs.py" "$WORK/gen/" || fail "ipc_stubs.py"
for f in ipc/debug_pb2.py ipc/debug_pb2_grpc.py ipc/renderer_host_pb2.py ipc/browser_control_pb2_grpc.py; do
  [ -f "$WORK/gen/$f" ] || fail "generated stub $f missing"
done

"$BROWSER" --virtual_time --renderer_binary="$RENDERER" \
  --host_resolver_rules="MAP * 127.0.0.1:1" --shutdown_deadline_ms=2000 \
  --net-log="$WORK/netlog.jsonl" >"$WORK/browser.out" 2>"$WORK/browser.err" &
BROWSER_PID=$!
cleanup() {
  if kill -0 "$BROWSER_PID" 2>/dev/null; then
    kill -KILL "$BROWSER_PID" 2>/dev/null
    wait "$BROWSER_PID" 2>/dev/null
  fi
}
trap cleanup EXIT

START=""
for _ in $(seq 100); do
  START="$(head -n 1 "$WORK/browser.out" 2>/dev/null)"
  [ -n "$START" ] && break
  kill -0 "$BROWSER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$START" ] || { cat "$WORK/browser.err"; fail "browser printed no start line"; }
echo "browser: $START"

PYTHONPATH="$WORK/gen" timeout 120 "$PYTHON" "$CLIENT" --start-line "$START"
CLIENT_RC=$?

kill -TERM "$BROWSER_PID"
for _ in $(seq 200); do
  kill -0 "$BROWSER_PID" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$BROWSER_PID" 2>/dev/null && fail "browser did not exit after SIGTERM"
wait "$BROWSER_PID"
BROWSER_RC=$?
[ "$BROWSER_RC" -eq 0 ] || { cat "$WORK/browser.err"; fail "browser exit status $BROWSER_RC"; }
[ "$CLIENT_RC" -eq 0 ] || fail "client exit status $CLIENT_RC"

"$PYTHON" - "$WORK/netlog.jsonl" <<'PY' || fail "--net-log file"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert lines, "empty net log"
types = []
for n, line in enumerate(lines, 1):
    event = json.loads(line)
    assert isinstance(event, dict), line
    assert event["sequence"] == n, (n, line)
    assert isinstance(event["monotonic_us"], int) and isinstance(event["clock_ms"], int), line
    assert isinstance(event["fields"], dict), line
    types.append(event["type"])
for expected in ("document.created", "record.queued", "quota.denied", "record.aborted",
                 "record.activated", "attempt.started", "attempt.failed",
                 "record.sent_on_termination", "document.destroyed"):
    assert expected in types, (expected, types)
failed = [json.loads(l) for l in lines if json.loads(l)["type"] == "attempt.failed"]
assert failed and all(f["fields"]["error"] == "refused" for f in failed), failed
print("ok   --net-log: %d JSON lines" % len(lines))
PY
echo "PASS"
