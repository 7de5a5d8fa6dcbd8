# Sourced by the deploy/local scripts: one place for ports, paths and the jar cache.
# Every value can be overridden from the environment (the README lists them).
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${SETTLEMENT_STATE_DIR:-$ROOT_DIR/.local}"
CACHE_DIR="${SETTLEMENT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/settlement}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-settlement}"
PG_PASSWORD="${PG_PASSWORD:-settlement}"
# The roles the services use (deploy/postgres/roles.sql): the owner migrates, each service
# connects as <service>_service with DB_PASSWORD.
DB_OWNER_PASSWORD="${DB_OWNER_PASSWORD:-settlement}"
DB_PASSWORD="${DB_PASSWORD:-settlement}"
KAFKA_VERSION="4.1.1"
# The cache is keyed by the pom, so a changed classpath is fetched anew.
KAFKA_POM_HASH="$(sha1sum "$ROOT_DIR/deploy/local/kafka/pom.xml" | cut -c1-10)"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION-$KAFKA_POM_HASH/libs"
mkdir -p "$STATE_DIR"
# What the services and tests started from these scripts read (shared/settings.py).
export PG_PORT PG_USER PG_PASSWORD DB_OWNER_PASSWORD DB_PASSWORD KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-127.0.0.1:$KAFKA_PORT}"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND once a second until it succeeds.
wait_for() {
  local what="$1" seconds="$2"; shift 2
  local i
  for ((i = 0; i < seconds; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  log "$what did not come up within ${seconds}s"
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ORDERS_PORT="${ORDERS_PORT:-8001}"
LEDGER_PORT="${LEDGER_PORT:-8002}"
PAYOUTS_PORT="${PAYOUTS_PORT:-8003}"
SERVICES=(orders ledger payouts)
service_port() { case "$1" in orders) echo "$ORDERS_PORT" ;; ledger) echo "$LEDGER_PORT" ;; payouts) echo "$PAYOUTS_PORT" ;; esac; }

# Secrets for local runs: taken from the environment, else generated once and kept (mode 600)
# under the state directory so every service and the CLI agree on them.
local_secret() {
  local name="$1" file="$STATE_DIR/$2"
  if [ -n "${!name:-}" ]; then printf '%s' "${!name}"; return; fi
  if [ ! -s "$file" ]; then
    (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "$file")
  fi
  cat "$file"
}
