#!/usr/bin/env bash
# Runs a command with local PostgreSQL and Kafka up, then stops whichever of them it started.
# Usage: with-infra.sh COMMAND [ARGS...]
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
here="$ROOT_DIR/deploy/local"

started=()
cleanup() {
  local i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do "$here/${started[i]}.sh" stop || true; done
}
trap cleanup EXIT INT TERM

for engine in postgres kafka; do
  if ! "$here/$engine.sh" status | grep -q running; then
    "$here/$engine.sh" start || exit 1
    started+=("$engine")
  fi
done
"$@"
