#!/usr/bin/env bash
# `make run`: bring the whole system up, run the main job, keep it up until Ctrl-C, then stop
# whatever this run started (what was already running before it is left running).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
here="$ROOT_DIR/deploy/local"

was_running() { "$here/$1.sh" status | grep -q running; }
started=()
for part in postgres kafka services; do was_running "$part" || started+=("$part"); done

stop_started() {
  trap - INT TERM EXIT
  [ ${#started[@]} -eq 0 ] && return 0
  log "stopping what this run started: ${started[*]}"
  local i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do "$here/${started[i]}.sh" stop || true; done
}
trap stop_started INT TERM EXIT

"$here/up.sh"
# The demo plays a stretch of business through the real webhooks and prints the settlement
# report. If it fails, the system stays up so what happened can be inspected.
"$ROOT_DIR/.venv/bin/settlement-demo" || log "the demo failed (see above); the system stays up"
log "the system is up; press Ctrl-C to stop it"
while true; do sleep 3600 & wait $!; done
