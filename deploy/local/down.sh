#!/usr/bin/env bash
# `make down`: stops the services, Kafka and PostgreSQL (whatever of them is running).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/services.sh" stop
"$here/kafka.sh" stop
"$here/postgres.sh" stop
