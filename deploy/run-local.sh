#!/usr/bin/env bash
# Linli on one machine without Docker, from Debian packages, everything on loopback:
# PostgreSQL (started as the postgres user), Redis, gunicorn, Celery worker and beat from the
# repo's .venv, and nginx in front.
#
#   deploy/run-local.sh start [DIR]       # set up (first time) and start; DIR keeps all state
#   deploy/run-local.sh status [DIR]
#   deploy/run-local.sh stop [DIR]        # stop everything this script started; data kept
#   deploy/run-local.sh purge [DIR]       # stop, then delete DIR
#   deploy/run-local.sh nginx-conf DIR    # only write DIR/nginx/*.conf (the tests check it)
#
# DIR defaults to $LINLI_LOCAL_DIR or /tmp/linli-local. Needs: apt-get install postgresql
# redis-server nginx (nginx-light will do), and `make` having built .venv.
# Ports (all 127.0.0.1): LINLI_LOCAL_HTTP_PORT (nginx, 8080), LINLI_LOCAL_WEB_PORT (gunicorn,
# 8000), LINLI_LOCAL_PG_PORT (5433), LINLI_LOCAL_REDIS_PORT (6380), LINLI_LOCAL_WORKER_METRICS_PORT
# (9808). DEMO=1 loads the demo data into an empty database.
# Every process is stopped by the pid it wrote, after checking that pid is still that program.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=$REPO/.venv/bin
MARKER=.linli-local
HTTP_PORT=${LINLI_LOCAL_HTTP_PORT:-8080}
WEB_PORT=${LINLI_LOCAL_WEB_PORT:-8000}
PG_PORT=${LINLI_LOCAL_PG_PORT:-5433}
REDIS_PORT=${LINLI_LOCAL_REDIS_PORT:-6380}
WORKER_METRICS_PORT=${LINLI_LOCAL_WORKER_METRICS_PORT:-9808}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
# this checkout's code, whatever .venv was installed from
export PYTHONPATH=$REPO${PYTHONPATH:+:$PYTHONPATH}

die() { echo "run-local: $*" >&2; exit 1; }
say() { echo "run-local: $*" >&2; }
usage() { sed -n '2,20p' "$0" >&2; exit 2; }

cmd=${1:-}; [ -n "$cmd" ] || usage
dir=$(realpath -m -- "${2:-${LINLI_LOCAL_DIR:-/tmp/linli-local}}")

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}

port_busy() { python3 -c 'import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1"; }

# pid_of NAME PATTERN: the pid in $dir/run/NAME.pid if that process is alive and its
# command line contains PATTERN (a stale pidfile whose pid was reused is ignored).
pid_of() {
  local pid
  pid=$(cat "$dir/run/$1.pid" 2>/dev/null || true)
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2" && echo "$pid"
  return 0
}

stop_pid() {  # stop_pid NAME PATTERN SIGNAL SECONDS
  local pid i
  pid=$(pid_of "$1" "$2")
  [ -n "$pid" ] || return 0
  kill "-$3" "$pid" 2>/dev/null || true
  for i in $(seq 1 $(($4 * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then say "$1 ($pid) did not stop in $4 s: KILL"; kill -KILL "$pid" || true; fi
  rm -f "$dir/run/$1.pid"
  say "stopped $1 ($pid)"
}

secret() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }

write_nginx_conf() {
  mkdir -p "$dir/nginx/tmp" "$dir/log" "$dir/run"
  sed -e "s|\${LINLI_LISTEN}|127.0.0.1:$HTTP_PORT|" \
      -e "s|\${LINLI_SERVER_NAME}|localhost|" \
      -e "s|\${LINLI_UPSTREAM}|127.0.0.1:$WEB_PORT|" \
      -e "s|\${LINLI_STATIC_ROOT}|$REPO/static|" \
      -e "s|\${LINLI_ACCESS_LOG}|$dir/log/nginx-access.log|" \
      "$REPO/deploy/nginx/linli.conf.template" >"$dir/nginx/linli.conf"
  cat >"$dir/nginx/nginx.conf" <<EOF
# written by deploy/run-local.sh; the site is linli.conf (from deploy/nginx/linli.conf.template)
worker_processes 1;
pid $dir/run/nginx.pid;
error_log $dir/log/nginx-error.log;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path $dir/nginx/tmp/body;
    proxy_temp_path $dir/nginx/tmp/proxy;
    fastcgi_temp_path $dir/nginx/tmp/fastcgi;
    uwsgi_temp_path $dir/nginx/tmp/uwsgi;
    scgi_temp_path $dir/nginx/tmp/scgi;
    include $dir/nginx/linli.conf;
}
EOF
}

check_tools() {
  local missing=()
  [ -x "$PGBIN/initdb" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ ${#missing[@]} -eq 0 ] || die "missing Debian packages: apt-get install ${missing[*]}"
  for tool in gunicorn celery linli pybabel; do
    [ -x "$BIN/$tool" ] || die "$BIN/$tool missing: run \`make test-sqlite\` or \`make run\` once to build .venv"
  done
}

env_file() { echo "$dir/linli.env"; }

first_setup() {
  say "first start: setting up $dir"
  mkdir -p "$dir"/{run,log,redis,beat}
  touch "$dir/$MARKER"
  chmod 755 "$dir"
  local owner_pw app_pw backup_pw redis_pw
  owner_pw=$(secret) app_pw=$(secret) backup_pw=$(secret) redis_pw=$(secret)
  # PostgreSQL: a cluster of our own in DIR/pg, owned by the postgres user.
  mkdir -p "$dir/pg" "$dir/pg-run"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/pg" "$dir/pg-run"
  chmod 700 "$dir/pg"
  as_pg "$PGBIN/initdb" -D "$dir/pg" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >"$dir/log/initdb.log" 2>&1 \
    || { cat "$dir/log/initdb.log" >&2; die "initdb failed"; }
  start_postgres
  as_pg "$PGBIN/psql" -X -q -h "$dir/pg-run" -p "$PG_PORT" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 -v owner_password="$owner_pw" -v app_password="$app_pw" \
    -v backup_password="$backup_pw" -v dbname=linli \
    -f "$REPO/deploy/postgres/roles.sql" >"$dir/log/roles.log" 2>&1 \
    || { cat "$dir/log/roles.log" >&2; die "creating the roles failed"; }
  local pg="127.0.0.1:$PG_PORT/linli"
  (umask 077; cat >"$(env_file)" <<EOF
# written by deploy/run-local.sh (the settings of deploy/linli.env.example, for loopback)
DATABASE_URL=postgresql://linli_app:$app_pw@$pg
MIGRATIONS_DATABASE_URL=postgresql://linli_owner:$owner_pw@$pg
DATABASE_APP_ROLE=linli_app
BACKUP_DATABASE_URL=postgresql://linli_backup:$backup_pw@$pg
SECRET_KEY=$(secret)$(secret)
METRICS_TOKEN=$(secret)
CELERY_BROKER_URL=redis://:$redis_pw@127.0.0.1:$REDIS_PORT/0
RATELIMIT_STORAGE_URI=redis://:$redis_pw@127.0.0.1:$REDIS_PORT/1
REDIS_PASSWORD=$redis_pw
SECURE_COOKIES=0
PROXY_COUNT=1
LOG_FORMAT=json
LOG_LEVEL=INFO
GUNICORN_BIND=127.0.0.1:$WEB_PORT
GUNICORN_WORKERS=2
GUNICORN_THREADS=4
WORKER_METRICS_PORT=$WORKER_METRICS_PORT
WORKER_METRICS_ADDRESS=127.0.0.1
EOF
  )
}

start_postgres() {
  [ -f "$dir/pg/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$dir/pg" status >/dev/null 2>&1 && return 0
  touch "$dir/log/postgres.log"   # the server (the postgres user) appends to it
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/log/postgres.log"
  as_pg "$PGBIN/pg_ctl" -D "$dir/pg" -l "$dir/log/postgres.log" -w -t 60 start \
    -o "-c port=$PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/pg-run" \
    >/dev/null || { tail -n 20 "$dir/log/postgres.log" >&2; die "PostgreSQL did not start"; }
  say "PostgreSQL on 127.0.0.1:$PG_PORT (as the postgres user)"
}

load_env() { set -a; . "$(env_file)"; set +a; }

# run_bg NAME LOGFILE CMD...: start CMD detached from this shell, output to LOGFILE
run_bg() {
  local name=$1 log=$2; shift 2
  (cd "$REPO" && exec setsid "$@" </dev/null >>"$log" 2>&1) &
}

wait_for() {  # wait_for WHAT URL SECONDS
  local i
  for i in $(seq 1 $(($3 * 5))); do
    curl -fsS -o /dev/null --max-time 2 "$2" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

do_start() {
  check_tools
  if [ -e "$dir" ] && [ ! -e "$dir/$MARKER" ]; then die "$dir exists and is not a run-local directory"; fi
  if [ -e "$dir/$MARKER" ]; then
    [ -n "$(pid_of gunicorn gunicorn)" ] && die "already running ($0 status $dir)"
    do_stop   # whatever a failed start left behind
  fi
  for port in $HTTP_PORT $WEB_PORT $PG_PORT $REDIS_PORT $WORKER_METRICS_PORT; do
    port_busy "$port" && die "127.0.0.1:$port is taken: choose another with LINLI_LOCAL_*_PORT"
  done
  # a start that fails half-way stops what it started (the data stays in DIR)
  trap 'say "start failed; stopping what was started"; do_stop' EXIT
  if [ -e "$dir/$MARKER" ]; then say "starting again from $dir"; start_postgres; else first_setup; fi
  load_env

  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --requirepass "$REDIS_PASSWORD" \
    --daemonize yes --pidfile "$dir/run/redis.pid" --logfile "$dir/log/redis.log" \
    --dir "$dir/redis" --appendonly yes >/dev/null
  say "Redis on 127.0.0.1:$REDIS_PORT"

  (cd "$REPO" && "$BIN/pybabel" compile -f -d translations >/dev/null 2>&1) || die "pybabel compile failed"
  (cd "$REPO" && "$BIN/linli" db upgrade) >>"$dir/log/migrate.log" 2>&1 \
    || { tail -n 30 "$dir/log/migrate.log" >&2; die "migrations failed"; }
  say "database migrated (as linli_owner)"
  if [ "${DEMO:-0}" = 1 ]; then
    (cd "$REPO" && "$BIN/linli" demo --if-empty) >"$dir/log/demo.log" 2>&1 || { cat "$dir/log/demo.log" >&2; die "demo failed"; }
    say "demo data loaded (logins in $dir/log/demo.log)"
  fi

  rm -rf "$dir/metrics-web" "$dir/metrics-worker"; mkdir -p "$dir/metrics-web" "$dir/metrics-worker"
  PROMETHEUS_MULTIPROC_DIR=$dir/metrics-web run_bg gunicorn "$dir/log/web.log" \
    "$BIN/gunicorn" -c deploy/gunicorn.conf.py --pid "$dir/run/gunicorn.pid" wsgi:app
  PROMETHEUS_MULTIPROC_DIR=$dir/metrics-worker run_bg worker "$dir/log/worker.log" \
    "$BIN/celery" -A core.celery_app worker --loglevel=INFO --concurrency=2 --pidfile "$dir/run/worker.pid"
  run_bg beat "$dir/log/beat.log" \
    "$BIN/celery" -A core.celery_app beat --loglevel=INFO --pidfile "$dir/run/beat.pid" \
    --schedule "$dir/beat/celerybeat-schedule"

  write_nginx_conf
  nginx -t -q -p "$dir/nginx" -c "$dir/nginx/nginx.conf" 2>"$dir/log/nginx-test.log" \
    || { cat "$dir/log/nginx-test.log" >&2; die "nginx rejects $dir/nginx/nginx.conf"; }
  nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf"

  wait_for gunicorn "http://127.0.0.1:$WEB_PORT/readyz" 60 || { tail -n 20 "$dir/log/web.log" >&2; die "gunicorn is not ready"; }
  wait_for nginx "http://127.0.0.1:$HTTP_PORT/readyz" 20 || { tail -n 20 "$dir/log/nginx-error.log" >&2; die "nginx does not pass requests on"; }
  wait_for worker "http://127.0.0.1:$WORKER_METRICS_PORT/metrics" 60 || { tail -n 20 "$dir/log/worker.log" >&2; die "the Celery worker did not start"; }
  trap - EXIT
  say "up: http://127.0.0.1:$HTTP_PORT/ (nginx -> gunicorn 127.0.0.1:$WEB_PORT)"
  say "settings: $(env_file); logs: $dir/log/; stop: $0 stop $dir"
}

do_status() {
  [ -e "$dir/$MARKER" ] || die "$dir is not a run-local directory"
  local name pattern pid
  for pair in nginx:nginx gunicorn:gunicorn worker:celery beat:celery redis:redis-server; do
    name=${pair%%:*} pattern=${pair#*:}
    pid=$(pid_of "$name" "$pattern")
    if [ -n "$pid" ]; then echo "$name: running ($pid)"; else echo "$name: stopped"; fi
  done
  if as_pg "$PGBIN/pg_ctl" -D "$dir/pg" status >/dev/null 2>&1; then echo "postgres: running"; else echo "postgres: stopped"; fi
  curl -fsS --max-time 3 "http://127.0.0.1:$HTTP_PORT/readyz" && echo || echo "readyz: no answer"
}

do_stop() {
  [ -e "$dir" ] || return 0
  [ -e "$dir/$MARKER" ] || die "$dir is not a run-local directory; refusing to touch it"
  stop_pid nginx nginx QUIT 10
  stop_pid gunicorn gunicorn TERM 40
  stop_pid beat celery TERM 10
  stop_pid worker celery TERM 60
  stop_pid redis redis-server TERM 10
  if [ -f "$dir/pg/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$dir/pg" -m fast -w -t 60 stop >/dev/null && say "stopped PostgreSQL"
  fi
}

case $cmd in
  start) do_start ;;
  status) do_status ;;
  stop) do_stop ;;
  purge) do_stop; [ -e "$dir/$MARKER" ] && rm -rf -- "$dir" && say "deleted $dir" ;;
  nginx-conf) [ $# -ge 2 ] || usage; write_nginx_conf; echo "$dir/nginx/nginx.conf" ;;
  *) usage ;;
esac
