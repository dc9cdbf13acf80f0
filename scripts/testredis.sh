#!/usr/bin/env bash
# Throwaway redis-server for tests (loopback only, no persistence).
#
#   scripts/testredis.sh start DIR   # prints `export LINLI_TEST_REDIS_URL=...` (also in DIR/env.sh)
#   scripts/testredis.sh stop DIR    # kill the server + rm -rf DIR; no-op if already gone
#
# Typical use:  eval "$(scripts/testredis.sh start /tmp/linli-redis)"; ...; scripts/testredis.sh stop /tmp/linli-redis
# Exit codes: 0 ok, 1 failure (log tail printed to stderr), 2 usage error.
# Layout of DIR: redis.pid, redis.log, port, env.sh, .linli-testredis (marker).
set -euo pipefail

MARKER=.linli-testredis   # only ever rm -rf a DIR that carries this marker

usage() { echo "usage: $0 {start|stop} DIR" >&2; exit 2; }
die() { echo "testredis: $*" >&2; exit 1; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$(realpath -m -- "$2")

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 40000))
}

do_stop() {
  [ -e "$dir" ] || return 0
  [ -e "$dir/$MARKER" ] || die "$dir exists but was not created by testredis.sh; refusing to delete it"
  local pid i
  pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
  # Only signal the pid if it really is a redis-server (pidfile could be stale and the pid reused).
  if [ -n "$pid" ] && grep -qs redis-server "/proc/$pid/cmdline"; then
    kill "$pid" 2>/dev/null || true     # SIGTERM = clean shutdown (nothing to save: persistence off)
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf -- "$dir"
}

do_start() {
  if [ -e "$dir" ]; then
    if [ -e "$dir/$MARKER" ]; then do_stop            # leftover from an earlier run: replace it
    elif [ -n "$(ls -A -- "$dir")" ]; then die "$dir is not empty and not a testredis dir"
    fi
  fi
  mkdir -p -- "$dir"
  touch "$dir/$MARKER"

  local port="" try i
  for try in 1 2 3 4 5; do   # retry: the free port may get taken between probe and bind
    port=$(free_port)
    rm -f "$dir/redis.pid"; : >"$dir/redis.log"
    # save "" + appendonly no: no RDB/AOF files; daemonize writes the pidfile.
    redis-server --bind 127.0.0.1 --port "$port" --daemonize yes \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" \
      --save "" --appendonly no >/dev/null 2>&1 || true
    for i in $(seq 1 50); do
      # Check the answering server is *ours* (pid matches our pidfile), not another one on that port.
      [ -s "$dir/redis.pid" ] && redis-cli -h 127.0.0.1 -p "$port" info server 2>/dev/null \
        | tr -d '\r' | grep -qx "process_id:$(cat "$dir/redis.pid")" && break 2
      # Port taken ("Failed listening on port ..., aborting"): try the next port right away.
      # (Redis listens before writing its pidfile, so the pidfile can't tell us.)
      grep -qs 'aborting' "$dir/redis.log" && break
      sleep 0.1
    done
    port=""
  done
  if [ -z "$port" ]; then
    echo "testredis: redis-server did not start; last lines of $dir/redis.log:" >&2
    tail -n 20 "$dir/redis.log" >&2 2>/dev/null || true
    exit 1
  fi
  echo "$port" >"$dir/port"
  echo "export LINLI_TEST_REDIS_URL=redis://127.0.0.1:$port/0" >"$dir/env.sh"
  cat "$dir/env.sh"
}

case $cmd in
  start) do_start ;;
  stop) do_stop ;;
  *) usage ;;
esac
