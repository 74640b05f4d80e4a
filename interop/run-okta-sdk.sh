#!/usr/bin/env bash
# Interop tier: Okta's official Python SDK (`okta` on PyPI, pinned, unmodified) against the
# mock Okta org of `scimkit-mock`. Installs the SDK into ${SCIMKIT_INTEROP_DIR:-$PWD/.interop},
# builds and starts the binary on 127.0.0.1, reads its JSON line, runs
# interop/okta-sdk/scenario.py (users with paging, lifecycle, groups, membership, roles),
# stops the binary with SIGTERM and checks it exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
source interop/lib.sh

VERSION="3.4.6"
venv="$INTEROP_DIR/okta-sdk-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/pip" show okta 2>/dev/null | grep -q "^Version: $VERSION$"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "okta==$VERSION"
fi

cargo build --quiet --features mock --bin scimkit-mock
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
line="$INTEROP_DIR/scimkit-mock.json"
log="$INTEROP_DIR/scimkit-mock.log"
"$target_dir/debug/scimkit-mock" --seed-users 7 >"$line" 2>"$log" &
pid=$!
stop() { kill "$pid" 2>/dev/null || true; }
trap stop EXIT

deadline=$((SECONDS + 30))
until [ -s "$line" ]; do
  if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    echo "scimkit-mock did not start; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done

"$venv/bin/python" interop/okta-sdk/scenario.py "$line"

kill -TERM "$pid"
trap - EXIT
status=0
wait "$pid" || status=$?
if [ "$status" -ne 0 ]; then
  echo "scimkit-mock exited $status after SIGTERM (want 0)" >&2
  exit 1
fi
echo "scimkit-mock stopped cleanly"
