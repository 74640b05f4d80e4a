#!/usr/bin/env bash
# Interop tier for the mock SCIM server: starts `scimkit-mock` (the crate's standalone mock,
# feature "mock") on 127.0.0.1 and runs against its SCIM endpoint, unmodified:
#   - scim2-tester 0.5.2, the python-scim project's SCIM conformance checker (every check);
#   - scim2-client 0.13.2, the same project's SCIM client, through an application-like
#     scenario (interop/scim2_client_scenario.py);
#   - scim-sanity 0.7.4, a second, independent conformance prober (`scim-sanity probe`).
# The Python packages (all pinned in interop/scim-clients-requirements.txt) are installed in
# ${SCIMKIT_INTEROP_DIR:-$PWD/.interop}/scim2-tester-venv. Fails on any failed check or step.
set -euo pipefail

cd "$(dirname "$0")/.."
. interop/lib.sh
VENV="$INTEROP_DIR/scim2-tester-venv"
REQUIREMENTS="interop/scim-clients-requirements.txt"
STAMP="$VENV/.requirements"

if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$REQUIREMENTS" "$STAMP"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  cp "$REQUIREMENTS" "$STAMP"
fi

cargo build --quiet --features mock --bin scimkit-mock
TARGET_DIR="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')}"
MOCK_BIN="$TARGET_DIR/debug/scimkit-mock"

ENDPOINTS="$INTEROP_DIR/scimkit-mock.json"
LOG="$INTEROP_DIR/scimkit-mock.log"
: >"$ENDPOINTS"
"$MOCK_BIN" --host 127.0.0.1 >"$ENDPOINTS" 2>"$LOG" &
MOCK_PID=$!
stop_mock() {
  if kill -0 "$MOCK_PID" 2>/dev/null; then
    kill -TERM "$MOCK_PID" 2>/dev/null || true
    wait "$MOCK_PID" 2>/dev/null || true
  fi
}
trap stop_mock EXIT

# The mock prints one line of JSON with its endpoints and credentials once it serves.
deadline=$((SECONDS + 60))
until [ -s "$ENDPOINTS" ] && grep -q '}' "$ENDPOINTS"; do
  if ! kill -0 "$MOCK_PID" 2>/dev/null; then
    echo "scimkit-mock exited early:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "scimkit-mock printed no endpoints within 60 s" >&2
    cat "$LOG" >&2
    exit 1
  fi
  sleep 0.2
done
field() { python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$ENDPOINTS" "$1"; }
SCIM_URL="$(field scim_url)"
SCIM_TOKEN="$(field scim_token)"
wait_for "$SCIM_URL/ServiceProviderConfig" 30

# The scenario counts resources, so it runs first, on the empty server.
status=0
echo "--- scim2-client scenario against $SCIM_URL"
"$VENV/bin/python" interop/scim2_client_scenario.py "$SCIM_URL" "$SCIM_TOKEN" || status=1
echo "--- scim2-tester against $SCIM_URL"
"$VENV/bin/python" interop/scim2_tester_check.py "$SCIM_URL" "$SCIM_TOKEN" || status=1
echo "--- scim-sanity probe against $SCIM_URL"
"$VENV/bin/scim-sanity" probe "$SCIM_URL" --token "$SCIM_TOKEN" --i-accept-side-effects || status=1

# The contract: SIGTERM stops the mock cleanly, with exit status 0.
trap - EXIT
kill -TERM "$MOCK_PID"
if ! wait "$MOCK_PID"; then
  echo "scimkit-mock did not exit cleanly on SIGTERM" >&2
  cat "$LOG" >&2
  status=1
fi
exit "$status"
