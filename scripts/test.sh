#!/usr/bin/env bash
# The whole suite on SQLite, then on a throwaway PostgreSQL (and Redis) that this script
# starts and always stops. `scripts/test.sh postgres [pytest args]` runs PostgreSQL only.
# pytest exits 5 when no test ran: that fails here too.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
# The first argument names the backend; without one (or with pytest options first) both run.
case ${1:-all} in
  all|sqlite|postgres) only=${1:-all}; [ $# -gt 0 ] && shift ;;
  -*) only=all ;;
  *) echo "usage: scripts/test.sh [all|sqlite|postgres] [pytest args]" >&2; exit 2 ;;
esac
work=$(mktemp -d /tmp/linli-test.XXXXXX)
chmod 755 "$work"
cleanup() {
  scripts/testdb.sh stop "$work/pg" >/dev/null 2>&1 || true
  scripts/testredis.sh stop "$work/redis" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p test-artifacts
# The suite runs against compiled catalogues, as the app does (make test compiles them too)
$BIN/pybabel compile -f -d translations >/dev/null
if [ "$only" = all ] || [ "$only" = sqlite ]; then
  echo "== tests on SQLite"
  LINLI_TEST_DATABASE=sqlite $BIN/python -m pytest "$@"
fi
if [ "$only" = all ] || [ "$only" = postgres ]; then
  echo "== tests on PostgreSQL"
  eval "$(scripts/testdb.sh start "$work/pg")"
  eval "$(scripts/testredis.sh start "$work/redis")"
  export LINLI_TEST_PG_OWNER_URL LINLI_TEST_PG_APP_URL LINLI_TEST_REDIS_URL
  LINLI_TEST_DATABASE=postgresql $BIN/python -m pytest "$@"
fi
