#!/usr/bin/env bash
# Restore a dump made by backup.sh into a FRESH database (never over a live one).
#
#   deploy/restore.sh DUMP_FILE TARGET_URL
#
# TARGET_URL: the schema owner (linli_owner) on an empty database, e.g. one made with
#   psql -U postgres -v dbname=linli_restored ... -f deploy/postgres/roles.sql
# Everything is restored in one transaction (all or nothing), owned by the connecting role,
# with its grants to linli_app and the row-level security policies. Then verify it, and point
# DATABASE_URL / MIGRATIONS_DATABASE_URL at it (deploy/README.md, "Restoring a backup").
# Exit codes: 0 ok, 1 failure (nothing restored), 2 usage (or not a PostgreSQL URL).
set -euo pipefail
. "$(dirname "$0")/pg-common.sh"

[ $# -eq 2 ] || { echo "usage: $0 DUMP_FILE TARGET_URL" >&2; exit 2; }
dump=$1
libpq_url "$2"
[ -r "$dump" ] || die "cannot read $dump"
pg pg_restore --list "$dump" >/dev/null || die "$dump is not a pg_dump custom-format archive"

existing=$(pg psql --no-psqlrc --no-password --tuples-only --no-align --dbname="$LIBPQ_URL" \
  --command="SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')") \
  || die "cannot connect to $SHOWN_URL"
[ "$existing" -eq 0 ] || die "$SHOWN_URL is not empty ($existing relations in schema public):" \
  "restore into a fresh database (deploy/postgres/roles.sql with -v dbname=NEW)"

pg pg_restore --no-password --dbname="$LIBPQ_URL" --no-owner --exit-on-error --single-transaction \
  "$dump" || die "pg_restore into $SHOWN_URL failed; nothing was restored"
# fresh statistics for the planner (the catalogue tables it may not analyse are not ours)
PGOPTIONS="-c client_min_messages=error" \
  pg psql --no-psqlrc --no-password --quiet --dbname="$LIBPQ_URL" --command="ANALYZE" >/dev/null
echo "restore.sh: $dump restored into $SHOWN_URL" >&2
