#!/usr/bin/env bash
# Back the database up: pg_dump in custom format (compressed; pg_restore can pick tables).
#
#   deploy/backup.sh DATABASE_URL OUTPUT_FILE
#
# DATABASE_URL must be a role that reads every row: row-level security is FORCE'd on tenant
# tables, so use linli_backup (BYPASSRLS + pg_read_all_data, deploy/postgres/roles.sql) or a
# superuser; the owner and the app role cannot. The dump is written to OUTPUT_FILE.partial,
# checked with pg_restore --list, then renamed: OUTPUT_FILE is always a complete dump.
# Exit codes: 0 ok, 1 failure, 2 usage (or not a PostgreSQL URL).
set -euo pipefail
. "$(dirname "$0")/pg-common.sh"
umask 077   # a dump holds password hashes and every resident's data

[ $# -eq 2 ] || { echo "usage: $0 DATABASE_URL OUTPUT_FILE" >&2; exit 2; }
libpq_url "$1"
out=$2
partial="$out.partial"
errors=$(mktemp)
trap 'rm -f "$partial" "$errors"' EXIT

if ! pg pg_dump --format=custom --no-password --dbname="$LIBPQ_URL" --file="$partial" 2>"$errors"; then
  cat "$errors" >&2
  if grep -q "row-level security" "$errors"; then
    echo "backup.sh: this role is subject to row-level security and cannot dump tenant rows." \
         "Dump as linli_backup (BYPASSRLS, see deploy/postgres/roles.sql) or a superuser." >&2
  fi
  die "pg_dump of $SHOWN_URL failed"
fi
entries=$(pg pg_restore --list "$partial" | grep -c " TABLE DATA " || true)
[ "$entries" -gt 0 ] || die "the dump of $SHOWN_URL holds no table data; refusing to keep it"
mv -f -- "$partial" "$out"
echo "backup.sh: $out: $(du -h -- "$out" | cut -f1), $entries tables' data, from $SHOWN_URL" >&2
