#!/usr/bin/env bash
# `make bench`: every bench/*.py (not common.py, not _*.py) against a throwaway PostgreSQL,
# then one table of their BENCH lines. `scripts/bench.sh api_health ...` runs only those.
# The server is always stopped. Exit 1 if a script fails or prints no BENCH line; a missed
# target fails only with BENCH_STRICT=1. Contract for scripts: bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
work=$(mktemp -d /tmp/linli-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
  scripts/testdb.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ $# -gt 0 ]; then
  scripts=(); for name in "$@"; do scripts+=("bench/${name%.py}.py"); done
else
  scripts=(); for f in bench/*.py; do
    case ${f##*/} in common.py|_*) ;; *) scripts+=("$f") ;; esac
  done
fi
[ ${#scripts[@]} -gt 0 ] || { echo "bench: no bench scripts" >&2; exit 1; }

eval "$(scripts/testdb.sh start "$work/pg")"
export LINLI_BENCH_PG_OWNER_URL=$LINLI_TEST_PG_OWNER_URL
export LINLI_BENCH_PG_APP_URL=$LINLI_TEST_PG_APP_URL
export LINLI_BENCH_PG_DIR=$LINLI_TEST_PG_DIR
export PYTHONPATH=$PWD
results=$work/results
: >"$results"
for script in "${scripts[@]}"; do
  name=$(basename "$script" .py)
  echo "== bench $name" >&2
  out=$work/$name.out
  rc=0
  LINLI_BENCH_LOG=$work/$name.log timeout "${BENCH_TIMEOUT:-900}" "$BIN/python" "$script" \
    2>&1 | tee "$out" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAILED $name exit code $rc" >>"$results"
    tail -n 20 "$work/$name.log" >&2 2>/dev/null || true
  elif ! grep -q '^BENCH ' "$out"; then
    echo "FAILED $name printed no BENCH line" >>"$results"
  else
    grep '^BENCH ' "$out" >>"$results"
  fi
done
echo
"$BIN/python" bench/_report.py "$results"
