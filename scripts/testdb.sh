#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for tests.
#
#   scripts/testdb.sh start DIR   # fresh cluster in DIR; prints `export ...` lines (also in DIR/env.sh)
#   scripts/testdb.sh stop DIR    # fast shutdown + rm -rf DIR; no-op if already gone
#
# Typical use:  eval "$(scripts/testdb.sh start /tmp/linli-pg)"; ...; scripts/testdb.sh stop /tmp/linli-pg
# Exit codes: 0 ok, 1 failure (log tail printed to stderr), 2 usage error.
# Layout of DIR: data/ (cluster), .s.PGSQL.PORT (socket), postgres.log, setup.log, env.sh, .linli-testdb (marker).
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
MARKER=.linli-testdb   # stop/start only ever rm -rf a DIR that carries this marker

usage() { echo "usage: $0 {start|stop} DIR" >&2; exit 2; }
die() { echo "testdb: $*" >&2; exit 1; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$(realpath -m -- "$2")   # absolute: postgres runs with cwd=/ and the socket path must be absolute

# initdb/postgres refuse to run as root: drop to the postgres user when we are root.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}

free_port() {
  # Ask the kernel for a free port (bind to 0). Small race until postgres binds it; start retries.
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 40000))
}

do_stop() {
  [ -e "$dir" ] || return 0
  [ -e "$dir/$MARKER" ] || die "$dir exists but was not created by testdb.sh; refusing to delete it"
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2 || true
  fi
  rm -rf -- "$dir"
}

do_start() {
  if [ -e "$dir" ]; then
    if [ -e "$dir/$MARKER" ]; then do_stop            # leftover from an earlier run: replace it
    elif [ -n "$(ls -A -- "$dir")" ]; then die "$dir is not empty and not a testdb dir"
    fi
  fi
  mkdir -p -- "$dir"
  touch "$dir/$MARKER"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  as_pg test -w "$dir" || die "postgres user cannot write $dir (a parent directory is not traversable?)"
  # Unix socket paths are limited to ~107 bytes.
  [ ${#dir} -le 90 ] || die "DIR path too long for a unix socket: $dir"

  log=$dir/postgres.log setup=$dir/setup.log   # global: the EXIT trap runs after do_start returns
  # On any failure: show the logs, stop a half-started server, keep DIR for inspection
  # (the next start/stop on DIR cleans it up).
  # fd 3 = our stderr: if `set -e` fires inside psql_as, its `>>setup.log 2>&1` is still active.
  exec 3>&2
  trap 'echo "testdb: start failed; last lines of $setup and $log:" >&3
        tail -n 20 "$setup" "$log" >&3 2>/dev/null || true
        [ -f "$dir/data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
        exit 1' EXIT

  # Local socket: trust (used only by this script, as superuser). TCP: scram, so the passwords are real.
  as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 >"$setup" 2>&1

  local port="" try
  for try in 1 2 3 4 5; do   # retry: the free port may get taken between probe and bind
    port=$(free_port)
    if as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$log" -w -t 60 start -o "-c port=$port \
        -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c max_connections=200" >>"$setup" 2>&1; then
      break
    fi
    port=""
  done
  [ -n "$port" ] || die "could not start postgres (see $log)"
  for try in $(seq 1 60); do
    as_pg "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.5
  done
  as_pg "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" || die "postgres not ready on port $port"

  psql_as() { as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" "$@" >>"$setup" 2>&1; }
  psql_as -U postgres -d postgres <<'SQL'
-- CREATEDB: tests build scratch databases (migrations check, backup restore) on this throwaway cluster
CREATE ROLE linli_owner LOGIN PASSWORD 'owner' NOSUPERUSER NOBYPASSRLS CREATEDB NOCREATEROLE;
CREATE ROLE linli_app   LOGIN PASSWORD 'app'   NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE linli_test OWNER linli_owner;
SQL
  psql_as -U postgres -d linli_test <<'SQL'
ALTER SCHEMA public OWNER TO linli_owner;
SQL
  # Default privileges must be set *by* linli_owner so they apply to objects it creates later.
  psql_as -U linli_owner -d linli_test <<'SQL'
GRANT USAGE ON SCHEMA public TO linli_app;
ALTER DEFAULT PRIVILEGES FOR ROLE linli_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO linli_app;
ALTER DEFAULT PRIVILEGES FOR ROLE linli_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO linli_app;
SQL
  trap - EXIT

  cat >"$dir/env.sh" <<EOF
export LINLI_TEST_PG_OWNER_URL=postgresql+psycopg://linli_owner:owner@127.0.0.1:$port/linli_test
export LINLI_TEST_PG_APP_URL=postgresql+psycopg://linli_app:app@127.0.0.1:$port/linli_test
export LINLI_TEST_PG_DIR=$dir
EOF
  cat "$dir/env.sh"
}

case $cmd in
  start) do_start ;;
  stop) do_stop ;;
  *) usage ;;
esac
