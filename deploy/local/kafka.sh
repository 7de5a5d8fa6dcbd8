#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft) broker on loopback, run from jars fetched once from Maven Central.
# Usage: kafka.sh fetch|start|stop|status|consume TOPIC COUNT   (start and stop are idempotent)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

KAFKA_STATE="$STATE_DIR/kafka"
PID_FILE="$KAFKA_STATE/broker.pid"

fetch() {
  if [ -f "$KAFKA_LIBS/.complete" ]; then return 0; fi
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS"
  rm -rf "$KAFKA_LIBS" && mkdir -p "$KAFKA_LIBS"
  mvn -B -q -f "$ROOT_DIR/deploy/local/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS"
  touch "$KAFKA_LIBS/.complete"
}

running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

broker_answers() {
  "$ROOT_DIR/.venv/bin/python" - "$KAFKA_PORT" <<'PY' 2>/dev/null || port_open "$KAFKA_PORT"
import asyncio, sys
from aiokafka.admin import AIOKafkaAdminClient
async def main() -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=f"127.0.0.1:{sys.argv[1]}", request_timeout_ms=3000)
    await asyncio.wait_for(admin.start(), 5)
    try:
        await asyncio.wait_for(admin.list_topics(), 5)
    finally:
        await admin.close()
asyncio.run(main())
PY
}

start() {
  fetch
  if running; then log "Kafka already running (pid $(cat "$PID_FILE"))"; return 0; fi
  if port_open "$KAFKA_PORT"; then log "port $KAFKA_PORT is taken by another process"; exit 1; fi
  mkdir -p "$KAFKA_STATE/data" "$KAFKA_STATE/logs"
  sed -e "s|@@KAFKA_PORT@@|$KAFKA_PORT|g" -e "s|@@CONTROLLER_PORT@@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@@DATA_DIR@@|$KAFKA_STATE/data|g" \
      "$ROOT_DIR/deploy/local/kafka/server.properties.in" > "$KAFKA_STATE/server.properties"
  local java_opts=(-Dlog4j2.configurationFile="$ROOT_DIR/deploy/local/kafka/log4j2.properties"
                   -Dkafka.logs.dir="$KAFKA_STATE/logs")
  if [ ! -f "$KAFKA_STATE/data/meta.properties" ]; then
    local cluster_id
    # A Kafka cluster id is 16 random bytes in URL-safe base64; one that starts with "-" would be read
    # as an option, so the first byte is drawn until it does not (as Kafka's own Uuid.randomUuid does).
    cluster_id=$(python3 -c '
import base64, os
while (cid := base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")).startswith("-"):
    pass
print(cid)')
    if ! java "${java_opts[@]}" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
        --cluster-id "$cluster_id" --config "$KAFKA_STATE/server.properties" \
        >"$KAFKA_STATE/logs/format.log" 2>&1; then
      log "formatting the Kafka storage failed:"
      cat "$KAFKA_STATE/logs/format.log" >&2
      exit 1
    fi
  fi
  log "starting Kafka on 127.0.0.1:$KAFKA_PORT"
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -XX:TieredStopAtLevel=1 "${java_opts[@]}" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_STATE/server.properties" \
    >"$KAFKA_STATE/logs/stdout.log" 2>&1 </dev/null &
  echo $! > "$PID_FILE"
  if ! wait_for "Kafka" 90 broker_answers; then
    tail -20 "$KAFKA_STATE/logs/stdout.log" "$KAFKA_STATE/logs/broker.log" >&2 || true
    exit 1
  fi
  log "Kafka is up"
}

stop() {
  if ! running; then rm -f "$PID_FILE"; return 0; fi
  local pid; pid=$(cat "$PID_FILE")
  log "stopping Kafka (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$PID_FILE"
}

# consume TOPIC COUNT: the first COUNT records of TOPIC as "headers<TAB>key<TAB>value" lines, read by
# Kafka's own Java console consumer (an independent client, for checking what the services publish).
consume() {
  fetch
  java -Dlog4j2.configurationFile="$ROOT_DIR/deploy/local/kafka/log4j2.properties" \
    -Dkafka.logs.dir="$STATE_DIR/kafka/logs" -cp "$KAFKA_LIBS/*" \
    org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
    --topic "$1" --from-beginning --max-messages "$2" --timeout-ms 30000 \
    --property print.key=true --property print.headers=true \
    --property key.separator=$'\t' --property headers.separator=,
}

status() { if running; then echo "kafka: running (pid $(cat "$PID_FILE"))"; else echo "kafka: stopped"; fi; }

case "${1:-}" in
  fetch) fetch ;; start) start ;; stop) stop ;; status) status ;;
  consume) consume "$2" "$3" ;;
  *) echo "usage: $0 fetch|start|stop|status|consume TOPIC COUNT" >&2; exit 2 ;;
esac
