#!/usr/bin/env bash
# `make run`: bring the whole system up, run the main job, keep it up until Ctrl-C, then stop
# whatever this run started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
here="$ROOT_DIR/deploy/local"

was_running=$("$here/services.sh" status | grep -c running || true)
stop_started() {
  trap - INT TERM EXIT
  if [ "$was_running" = 0 ]; then
    log "stopping what this run started"
    "$here/down.sh"
  fi
}
trap stop_started INT TERM EXIT

"$here/up.sh"
if [ -x "$ROOT_DIR/.venv/bin/settlement-demo" ]; then
  "$ROOT_DIR/.venv/bin/settlement-demo"
fi
log "the system is up; press Ctrl-C to stop it"
while true; do sleep 3600 & wait $!; done
