#!/usr/bin/env bash
# Run a command against a throwaway Postgres cluster and Redis server on loopback.
#
# Installs what is missing (Debian's postgresql, redis-server and chromium), starts both servers on free
# ports with their data in a temporary directory, exports DATABASE_URL and REDIS_URL, runs the command,
# and stops the servers whatever happens. Exits with the command's exit code.
set -uo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

missing=()
[ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} from Debian's packages..."
  as_root apt-get update -qq
  # The package's own cluster is not used: ours is created below.
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "could not install ${missing[*]}" >&2; exit 2; }
fi
PG_BIN=$(pg_bin)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

WORK=$(mktemp -d -t partnership-services.XXXXXX)
chmod 755 "$WORK"
PGDATA="$WORK/pg"
REDIS_DIR="$WORK/redis"
mkdir -p "$PGDATA" "$REDIS_DIR" "$WORK/socket" "$WORK/pglog"
PG_PORT=$(free_port)
REDIS_PORT=$(free_port)

# Postgres refuses to run as root: run it as the postgres user on a directory that user owns.
if [ "$(id -u)" -eq 0 ]; then
  chown -R postgres:postgres "$PGDATA" "$WORK/socket" "$WORK/pglog"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

cleanup() {
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  if [ -f "$REDIS_DIR/redis.pid" ]; then kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true; fi
  sleep 0.5
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null || { echo "initdb failed" >&2; exit 2; }
# Durability off: a throwaway cluster for tests, fast on a shared machine.
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$WORK/pglog/pg.log" -w -t 60 start \
  -o "-p $PG_PORT -k $WORK/socket -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  >/dev/null || { cat "$WORK/pglog/pg.log" >&2; exit 2; }
"$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qAt -c "CREATE DATABASE partnership" >/dev/null

# The broker holds queued and unacknowledged tasks: the append-only file keeps them across a restart, as
# in docker-compose.yml (tests/faults restarts this server from the same file to prove it).
cat >"$REDIS_DIR/redis.conf" <<CONF
port $REDIS_PORT
bind 127.0.0.1
dir $REDIS_DIR
appendonly yes
appendfsync everysec
save ""
daemonize yes
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
CONF
redis-server "$REDIS_DIR/redis.conf"
for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/partnership"
# The suite runs the product as `make run` does (plain HTTP on loopback); DEBUG defaults to off, and the
# production posture has tests of its own (tests/partnership/test_deploy.py) with DEBUG=false.
export DEBUG="${DEBUG:-true}"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CELERY_BROKER_URL="$REDIS_URL"
export CELERY_RESULT_BACKEND="redis://127.0.0.1:$REDIS_PORT/1"
export TEST_PG_BIN="$PG_BIN" TEST_PGDATA="$PGDATA" TEST_PG_PORT="$PG_PORT" TEST_REDIS_PORT="$REDIS_PORT"
export TEST_REDIS_DIR="$REDIS_DIR" TEST_REDIS_CONF="$REDIS_DIR/redis.conf" TEST_SERVICES_DIR="$WORK"
export TEST_PG_LOG="$WORK/pglog/pg.log"
export VAR_DIR="$WORK/var"
echo "Postgres on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"

"$@"
exit $?
