#!/usr/bin/env bash
# The three services as background processes on loopback, each migrating its database first.
# Usage: services.sh start|stop|status   (start and stop are idempotent)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

SVC_STATE="$STATE_DIR/services"
PY="$ROOT_DIR/.venv/bin/python"
mkdir -p "$SVC_STATE"
cd "$ROOT_DIR"

running() { [ -f "$SVC_STATE/$1.pid" ] && kill -0 "$(cat "$SVC_STATE/$1.pid")" 2>/dev/null; }
answers() { curl -fsS -o /dev/null "http://127.0.0.1:$(service_port "$1")/readyz"; }

start() {
  export ADMIN_TOKEN TOKEN_SIGNING_KEY
  ADMIN_TOKEN=$(local_secret ADMIN_TOKEN admin-token)
  TOKEN_SIGNING_KEY=$(local_secret TOKEN_SIGNING_KEY token-signing-key)
  # Seals webhook secrets at rest: a key ring of one generated 32-byte key (README, Rotating keys).
  export ORDERS_SECRET_KEYS="${ORDERS_SECRET_KEYS:-k1:$(local_secret ORDERS_SECRET_KEY orders-secret-key)}"
  export ORDERS_PORT LEDGER_PORT PAYOUTS_PORT
  # Reconciliation in the payouts service reads the ledger's balances over its API.
  export PAYOUTS_LEDGER_URL="${PAYOUTS_LEDGER_URL:-http://127.0.0.1:$LEDGER_PORT}"
  "$PY" -m shared.bootstrap_topics
  for svc in "${SERVICES[@]}"; do
    if running "$svc"; then log "$svc already running"; continue; fi
    "$PY" -m "services.$svc" migrate >>"$SVC_STATE/$svc.log" 2>&1 </dev/null ||
      { log "$svc migrations failed; see $SVC_STATE/$svc.log"; tail -20 "$SVC_STATE/$svc.log" >&2; exit 1; }
    log "starting $svc on 127.0.0.1:$(service_port "$svc")"
    # Started directly (no subshell) so the pid file names the service and no pipe stays open.
    nohup "$PY" -m "services.$svc" serve >>"$SVC_STATE/$svc.log" 2>&1 </dev/null &
    echo $! > "$SVC_STATE/$svc.pid"
  done
  for svc in "${SERVICES[@]}"; do
    wait_for "$svc" 60 answers "$svc" || { tail -20 "$SVC_STATE/$svc.log" >&2; exit 1; }
  done
  log "services are up"
}

stop() {
  for svc in "${SERVICES[@]}"; do
    if running "$svc"; then
      local pid; pid=$(cat "$SVC_STATE/$svc.pid")
      kill -TERM "$pid"
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
      log "stopped $svc"
    fi
    rm -f "$SVC_STATE/$svc.pid"
  done
}

status() {
  for svc in "${SERVICES[@]}"; do
    if running "$svc"; then echo "$svc: running (pid $(cat "$SVC_STATE/$svc.pid"), port $(service_port "$svc"))"
    else echo "$svc: stopped"; fi
  done
}

case "${1:-}" in
  start) start ;; stop) stop ;; status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
