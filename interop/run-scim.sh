#!/usr/bin/env bash
# Interop tier for the SCIM client: installs scim2-server==0.8.3 (the Python reference
# server) into ${SCIMKIT_INTEROP_DIR:-$PWD/.interop}, starts it on 127.0.0.1 with a free
# port and a bearer token, waits until it answers, runs tests/interop_scim.rs, stops it.
set -euo pipefail

cd "$(dirname "$0")/.."
INTEROP_DIR="${SCIMKIT_INTEROP_DIR:-$PWD/.interop}"
VENV="$INTEROP_DIR/scim2-venv"
VERSION="0.8.3"
mkdir -p "$INTEROP_DIR"

if [ ! -x "$VENV/bin/scim2-server" ] || ! "$VENV/bin/pip" show scim2-server 2>/dev/null | grep -q "^Version: $VERSION$"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "scim2-server==$VERSION"
fi

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
TOKEN="interop-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
LOG="$INTEROP_DIR/scim2-server.log"

"$VENV/bin/scim2-server" --hostname 127.0.0.1 --port "$PORT" --bearer-token "$TOKEN" >"$LOG" 2>&1 &
SERVER_PID=$!
cleanup() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
trap cleanup EXIT

BASE="http://127.0.0.1:$PORT/v2"
answers() {
  python3 - "$BASE/ServiceProviderConfig" "$TOKEN" <<'PY' 2>/dev/null
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
urllib.request.urlopen(req, timeout=2)
PY
}
deadline=$((SECONDS + 60))
until answers; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "scim2-server exited early:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "scim2-server did not answer on $BASE within 60 s" >&2
    cat "$LOG" >&2
    exit 1
  fi
  sleep 0.2
done

SCIMKIT_INTEROP_SCIM_URL="$BASE" SCIMKIT_INTEROP_SCIM_TOKEN="$TOKEN" \
  cargo test --features interop --test interop_scim -- --include-ignored --test-threads=1
