#!/bin/bash
# The compose database container's first start (/docker-entrypoint-initdb.d): the roles and
# the database of deploy/postgres/roles.sql, with the passwords from deploy/linli.env.
set -euo pipefail
: "${LINLI_OWNER_PASSWORD:?}" "${LINLI_APP_PASSWORD:?}" "${LINLI_BACKUP_PASSWORD:?}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$LINLI_OWNER_PASSWORD" -v app_password="$LINLI_APP_PASSWORD" \
  -v backup_password="$LINLI_BACKUP_PASSWORD" -v dbname=linli \
  -f /linli-postgres/roles.sql
