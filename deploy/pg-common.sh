# Shared by backup.sh and restore.sh (sourced, not run).

die() { echo "${0##*/}: $*" >&2; exit 1; }

# libpq_url URL: the app's SQLAlchemy URL as libpq takes it. Sets LIBPQ_URL (password moved
# into PGPASSWORD, so it never shows in `ps`) and SHOWN_URL (password hidden, for messages).
# A SQLite URL is refused with exit code 2: these scripts are for PostgreSQL.
libpq_url() {
  local url=$1
  case $url in
    sqlite:*)
      echo "${0##*/}: refusing $url: this is a SQLite database, and ${0##*/} works on PostgreSQL" \
           "only (pg_dump/pg_restore). Back a SQLite database up with:" \
           "sqlite3 instance/linli.db \".backup 'linli-backup.db'\" (safe while the app runs)." >&2
      exit 2 ;;
    postgres://*|postgresql://*|postgresql+*://*) ;;
    *) echo "${0##*/}: not a PostgreSQL URL: ${url%%://*}://..." >&2; exit 2 ;;
  esac
  url="postgresql://${url#*://}"          # postgresql+psycopg:// -> postgresql://
  if [[ $url =~ ^postgresql://([^:@/]*):([^@/]*)@(.*)$ ]]; then
    PGPASSWORD=$(printf '%b' "${BASH_REMATCH[2]//%/\\x}")   # percent-decoded
    export PGPASSWORD
    url="postgresql://${BASH_REMATCH[1]}@${BASH_REMATCH[3]}"
  fi
  LIBPQ_URL=$url
  SHOWN_URL=$url
}

# PG_BIN: where pg_dump/pg_restore/psql live (default: PATH; Debian's wrappers pick the
# version of the server they talk to).
pg() { local tool=$1; shift; "${PG_BIN:+$PG_BIN/}$tool" "$@"; }
