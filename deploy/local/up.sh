#!/usr/bin/env bash
# `make up`: PostgreSQL, Kafka and the three services, returning once everything answers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
here="$ROOT_DIR/deploy/local"
"$here/postgres.sh" start
"$here/kafka.sh" start
"$here/services.sh" start
if [ -z "${ADMIN_TOKEN:-}" ]; then
  log "admin token (generated): $STATE_DIR/admin-token"
fi
for svc in "${SERVICES[@]}"; do
  log "$svc: http://127.0.0.1:$(service_port "$svc")/docs  metrics: http://127.0.0.1:$(service_port "$svc")/metrics"
done
