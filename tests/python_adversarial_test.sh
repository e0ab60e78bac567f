#!/bin/bash
# Runs tests/adversarial_client.py (Debian's /usr/bin/python3 with python3-grpcio
# and python3-protobuf) against tests/browser_test_server:
#   1. generates the Python stubs for ipc/*.proto into $TEST_TMPDIR;
#   2. starts the server with a FIFO as its stdin and reads its address line;
#   3. runs the client, which writes what the browser must have recorded;
#   4. closes the server's stdin, waits for its exit summary and has the client
#      verify it.
# Passes only if every step and every check passed.
set -u

RUNFILES="${TEST_SRCDIR:?}/fetch_later"
SERVER="$RUNFILES/tests/browser_test_server"
CLIENT="$RUNFILES/tests/adversarial_client.py"
PYTHON=/usr/bin/python3
WORK="${TEST_TMPDIR:?}/adversarial"
mkdir -p "$WORK/gen"

fail() {
  echo "FAIL $*"
  exit 1
}

/usr/bin/protoc -I"$RUNFILES" --python_out="$WORK/gen" --grpc_python_out="$WORK/gen" \
  --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
  "$RUNFILES"/ipc/{fetch_types,page_step,renderer_host,browser_control}.proto ||
  fail "protoc"
cp "$RUNFILES/tests/ipc_stubs.py" "$WORK/gen/" || fail "ipc_stubs.py"
[ -f "$WORK/gen/ipc/renderer_host_pb2.py" ] && [ -f "$WORK/gen/ipc/browser_control_pb2_grpc.py" ] ||
  fail "generated stubs missing"

mkfifo "$WORK/server.stdin" || fail "mkfifo"
"$SERVER" <"$WORK/server.stdin" >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
exec 3>"$WORK/server.stdin"  # the server's stdin stays open while fd 3 is
cleanup() {
  exec 3>&- 2>/dev/null
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
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
echo "server: $ADDRESSES"

PYTHONPATH="$WORK/gen" timeout 60 "$PYTHON" "$CLIENT" \
  --addresses "$ADDRESSES" --expect "$WORK/expected.json"
CLIENT_RC=$?

exec 3>&-  # EOF on the server's stdin: it shuts down and prints its summary
SERVER_RC=0
for _ in $(seq 100); do
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$SERVER_PID" 2>/dev/null; then
  fail "server did not exit after stdin closed"
fi
wait "$SERVER_PID"
SERVER_RC=$?
echo "server summary: $(tail -n 1 "$WORK/server.out")"
[ "$SERVER_RC" -eq 0 ] || { cat "$WORK/server.err"; fail "server exit status $SERVER_RC"; }
[ "$CLIENT_RC" -eq 0 ] || fail "client exit status $CLIENT_RC"

PYTHONPATH="$WORK/gen" "$PYTHON" "$CLIENT" \
  --verify "$WORK/server.out" "$WORK/expected.json" || fail "server summary"
echo "PASS"
