#!/usr/bin/env bash
# Interop tier: every Okta operation the crate offers, sent to Stoplight Prism serving the
# Okta management OpenAPI spec vendored in interop/okta/ (release 2026.06.3; see its README),
# or the file SCIMKIT_OKTA_SPEC names.
# Prism answers 404 NO_PATH_MATCHED_ERROR, 400 or 422 to a request outside the spec; the
# tests fail on those. Self-contained: installs Prism with npm under $SCIMKIT_INTEROP_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

interop_dir="${SCIMKIT_INTEROP_DIR:-$PWD/.interop}"
dir="$interop_dir/prism"
mkdir -p "$dir"

spec="${SCIMKIT_OKTA_SPEC:-$PWD/interop/okta/management-prism.yaml}"
if [ ! -f "$spec" ]; then
  echo "run-okta.sh: the Okta spec $spec does not exist" >&2
  exit 1
fi

if [ ! -x "$dir/node_modules/.bin/prism" ]; then
  (cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && npm install --no-audit --no-fund --loglevel=error @stoplight/prism-cli@5 >/dev/null)
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$dir/node_modules/.bin/prism" mock -h 127.0.0.1 -p "$port" "$spec" > "$dir/prism.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT

# Loading a 2 MB spec takes Prism a while: wait until it answers any HTTP status.
deadline=$((SECONDS + 180))
until python3 - "http://127.0.0.1:$port/api/v1/users" <<'PY' 2>/dev/null
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass
PY
do
  if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    echo "Prism did not start; its log:" >&2
    cat "$dir/prism.log" >&2
    exit 1
  fi
  sleep 1
done

SCIMKIT_INTEROP_PRISM_URL="http://127.0.0.1:$port" \
  cargo test --all-features --test interop_okta -- --include-ignored

# The cookbook's Okta export (examples/okta_export.rs) against the same Prism: every listing
# and role lookup it sends must be in the spec, and it must run to completion on Prism's
# example data.
SCIMKIT_OKTA_ORG="http://127.0.0.1:$port" SCIMKIT_OKTA_API_TOKEN="00prism-token" \
  cargo run --quiet --all-features --example okta_export -- --out "$dir/okta-export"
