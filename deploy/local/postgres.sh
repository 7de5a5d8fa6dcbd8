#!/usr/bin/env bash
# A local PostgreSQL 15 cluster on loopback under the git-ignored state directory.
# PostgreSQL refuses to run as root, so as root the cluster belongs to the unprivileged `postgres` user.
# Usage: postgres.sh start|stop|status|psql   (start and stop are idempotent)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

PG_STATE="$STATE_DIR/postgres"
PG_DATA="$PG_STATE/data"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
DATABASES=(orders ledger payouts)

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_binaries() {
  if [ -x "$PG_BIN/postgres" ]; then return 0; fi
  log "PostgreSQL server binaries not found; installing Debian's postgresql package"
  if [ "$(id -u)" != 0 ]; then log "run as root once, or install postgresql"; exit 1; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
}

running() { [ -f "$PG_DATA/postmaster.pid" ] && as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

init_cluster() {
  mkdir -p "$PG_STATE"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PG_STATE" --shell /usr/sbin/nologin postgres
    chown postgres: "$PG_STATE"
    # The owner must be able to reach the state directory through every parent.
    local d="$PG_STATE"
    while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  fi
  local pwfile="$PG_STATE/.pw"
  printf '%s\n' "$PG_PASSWORD" > "$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
  as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_STATE/initdb.log"
  rm -f "$pwfile"
  cat >> "$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_STATE'
max_connections = 300
shared_buffers = 256MB
wal_level = minimal
max_wal_senders = 0
timezone = 'UTC'
log_min_messages = warning
CONF
}

start() {
  ensure_binaries
  if running; then log "PostgreSQL already running"; return 0; fi
  if port_open "$PG_PORT"; then log "port $PG_PORT is taken by another process"; exit 1; fi
  [ -f "$PG_DATA/PG_VERSION" ] || init_cluster
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -o "-p $PG_PORT" -l "$PG_STATE/server.log" -w -t 60 start >/dev/null
  # Roles and databases (least privilege: deploy/postgres/roles.sql), then what an older setup
  # created as the administrator moves to the owner role.
  local sql="$ROOT_DIR/deploy/postgres"
  as_owner "$PG_BIN/psql" -h "$PG_STATE" -p "$PG_PORT" -U "$PG_USER" -d postgres -q \
    -v ON_ERROR_STOP=1 -v owner_password="$DB_OWNER_PASSWORD" \
    -v service_password="$DB_PASSWORD" -f - < "$sql/roles.sql" >/dev/null
  for db in "${DATABASES[@]}"; do
    as_owner "$PG_BIN/psql" -h "$PG_STATE" -p "$PG_PORT" -U "$PG_USER" -d "$db" -q \
      -v ON_ERROR_STOP=1 -f - < "$sql/owned-by-owner.sql" >/dev/null
  done
  log "PostgreSQL is up"
}

stop() {
  if ! running; then return 0; fi
  log "stopping PostgreSQL"
  as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
}

status() { if running; then echo "postgres: running"; else echo "postgres: stopped"; fi; }

case "${1:-}" in
  start) start ;; stop) stop ;; status) status ;;
  psql) shift; as_owner "$PG_BIN/psql" -h "$PG_STATE" -p "$PG_PORT" -U "$PG_USER" "$@" ;;
  *) echo "usage: $0 start|stop|status|psql [args]" >&2; exit 2 ;;
esac
