#!/bin/bash
# Replays the renderer_host corpus and regressions as adversarial gRPC sequences from Python
# (tests/fuzz/replay_client.py, Debian's python3-grpcio) against a live browser
# (tests:browser_test_server), then checks the server shut down cleanly.
set -u
RUNFILES="${TEST_SRCDIR:?}/fetch_later"
SERVER="$RUNFILES/tests/browser_test_server"
WORK="${TEST_TMPDIR:?}/replay"
mkdir -p "$WORK/gen"
fail() { echo "FAIL $*"; exit 1; }

/usr/bin/protoc -I"$RUNFILES" --python_out="$WORK/gen" --grpc_python_out="$WORK/gen" \
  --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
  "$RUNFILES"/ipc/{fetch_types,page_step,renderer_host,browser_control}.proto ||
  fail "protoc"
cp "$RUNFILES/tests/ipc_stubs.py" "$WORK/gen/" || fail "ipc_stubs.py"

mkfifo "$WORK/server.stdin" || fail "mkfifo"
"$SERVER" <"$WORK/server.stdin" >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
exec 3>"$WORK/server.stdin"
cleanup() {
  exec 3>&- 2>/dev/null
  if kill -0 "$SERVER_PID" 2>/dev/null; then kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; fi
}
trap cleanup EXIT

ADDRESSES=""
for _ in $(seq 100); do
  ADDRESSES="$(head -n 1 "$WORK/server.out" 2>/dev/null)"
  [ -n "$ADDRESSES" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$ADDRESSES" ] || { cat "$WORK/server.err"; fail "server printed no addresses"; }

PYTHONPATH="$WORK/gen" timeout 240 /usr/bin/python3 "$RUNFILES/tests/fuzz/replay_client.py" \
  --addresses "$ADDRESSES" "$RUNFILES/tests/fuzz/corpus/renderer_host" \
  "$RUNFILES/tests/fuzz/regressions/renderer_host"
CLIENT_RC=$?

exec 3>&-
for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "server did not exit after stdin closed"
wait "$SERVER_PID"
SERVER_RC=$?
[ "$SERVER_RC" -eq 0 ] || { tail -n 30 "$WORK/server.err"; fail "server exit status $SERVER_RC"; }
[ "$CLIENT_RC" -eq 0 ] || fail "client exit status $CLIENT_RC"
echo PASS
