#!/usr/bin/env bash
# docker-entrypoint-initdb.d hook: the roles and databases of deploy/postgres/roles.sql, with the
# passwords from the environment (the compose file passes DB_OWNER_PASSWORD and DB_PASSWORD).
set -euo pipefail
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres \
  -v owner_password="$DB_OWNER_PASSWORD" -v service_password="$DB_PASSWORD" \
  -f /docker-entrypoint-initdb.d/roles.sql.in
