#!/usr/bin/env bash
# Interop tier: client-credentials tokens from oidc-provider@9 (Node), on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source interop/lib.sh

dir="$INTEROP_DIR/oidc-provider"
mkdir -p "$dir"
if [ ! -d "$dir/node_modules/oidc-provider" ]; then
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error oidc-provider@9 >/dev/null)
fi
cp interop/oidc-provider.mjs "$dir/server.mjs"

port=$(free_port)
(cd "$dir" && PORT="$port" exec node server.mjs) > "$dir/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
wait_for "http://127.0.0.1:$port/.well-known/openid-configuration" 60 || { cat "$dir/server.log"; exit 1; }

SCIMKIT_INTEROP_OIDC_URL="http://127.0.0.1:$port" \
  cargo test --all-features --test interop_oauth -- --include-ignored
