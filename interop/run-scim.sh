#!/usr/bin/env bash
# Interop tier for the SCIM client: installs scim2-server==0.8.3 (the Python reference
# server) into ${SCIMKIT_INTEROP_DIR:-$PWD/.interop}, starts it on 127.0.0.1 with a free
# port and a bearer token, waits until it answers, runs tests/interop_scim.rs, stops it.
# Then the cookbook's SCIM recipes (examples/README.md) run against a second instance that
# also serves the recipes' custom extension schema.
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

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# start_server NAME [scim2-server flags...]: starts an instance on a free port with a fresh
# bearer token and waits until it answers; sets BASE and TOKEN.
start_server() {
  local name="$1"
  shift
  local port log pid deadline
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  TOKEN="interop-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  log="$INTEROP_DIR/$name.log"
  "$VENV/bin/scim2-server" --hostname 127.0.0.1 --port "$port" --bearer-token "$TOKEN" "$@" >"$log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  BASE="http://127.0.0.1:$port/v2"
  deadline=$((SECONDS + 60))
  until python3 - "$BASE/ServiceProviderConfig" "$TOKEN" <<'PY' 2>/dev/null
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
urllib.request.urlopen(req, timeout=2)
PY
  do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited early:" >&2
      cat "$log" >&2
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$name did not answer on $BASE within 60 s" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.2
  done
}

start_server scim2-server
SCIMKIT_INTEROP_SCIM_URL="$BASE" SCIMKIT_INTEROP_SCIM_TOKEN="$TOKEN" \
  cargo test --features interop --test interop_scim -- --include-ignored --test-threads=1

# The cookbook: RFC 7643's schemas plus examples/scim_custom_extension/schema.json, the
# extension declared on the User resource type.
SCHEMAS="$INTEROP_DIR/cookbook-schemas.json"
RESOURCE_TYPES="$INTEROP_DIR/cookbook-resource-types.json"
"$VENV/bin/python" - examples/scim_custom_extension/schema.json "$SCHEMAS" "$RESOURCE_TYPES" <<'PY'
import json, sys
import importlib.resources as resources
extension = json.load(open(sys.argv[1]))
shipped = resources.files("scim2_server") / "resources"
schemas = json.loads((shipped / "default-schemas.json").read_text())
types = json.loads((shipped / "default-resource-types.json").read_text())
schemas.append(extension)
for resource_type in types:
    if resource_type["id"] == "User":
        resource_type.setdefault("schemaExtensions", []).append(
            {"schema": extension["id"], "required": False})
json.dump(schemas, open(sys.argv[2], "w"))
json.dump(types, open(sys.argv[3], "w"))
PY
start_server scim2-server-cookbook --schema "$SCHEMAS" --resource-type "$RESOURCE_TYPES"
export SCIMKIT_SCIM_URL="$BASE" SCIMKIT_SCIM_TOKEN="$TOKEN"
cargo run --quiet --features interop --example scim_custom_extension
# /Bulk (scim2-server supports it), then again one request per user: the second run finds
# every user and changes nothing.
cargo run --quiet --features interop --example scim_bulk_csv
cargo run --quiet --features interop --example scim_bulk_csv -- --one-by-one | tee "$INTEROP_DIR/scim_bulk_csv.log"
grep -q "^0 created, 0 updated, 8 unchanged, 0 failed$" "$INTEROP_DIR/scim_bulk_csv.log"
