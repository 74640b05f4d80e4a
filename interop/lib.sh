# Shared helpers for interop/run-*.sh (sourced, not run).
INTEROP_DIR="${SCIMKIT_INTEROP_DIR:-$PWD/.interop}"
mkdir -p "$INTEROP_DIR"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for URL [SECONDS]: polls until the URL answers any HTTP status.
wait_for() {
  local url="$1" deadline=$((SECONDS + ${2:-60}))
  until python3 - "$url" <<'PY' 2>/dev/null
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass
PY
  do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "timed out waiting for $url" >&2
      return 1
    fi
    sleep 0.5
  done
}
