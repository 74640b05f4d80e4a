#!/usr/bin/env bash
# Redis tier: the token store and rate budget shared by replicas, against a real
# redis-server (Debian's, installed here when missing) on 127.0.0.1.
#   bash interop/run-redis.sh          the tests (tests/redis_shared.rs)
#   bash interop/run-redis.sh bench    the replicas bench with its Redis rows
# The tests also get the redis-server binary (SCIMKIT_REDIS_SERVER) to start, kill and
# restart Redis instances of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
source interop/lib.sh

if ! command -v redis-server >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
server=$(command -v redis-server)

dir="$INTEROP_DIR/redis"
mkdir -p "$dir"
port=$(free_port)
"$server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  > "$dir/redis.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done

export SCIMKIT_REDIS_URL="redis://127.0.0.1:$port/"
export SCIMKIT_REDIS_SERVER="$server"
if [ "${1:-}" = "bench" ]; then
  cargo bench --features redis --bench replicas
else
  cargo test --features redis --test redis_shared -- --include-ignored
fi
