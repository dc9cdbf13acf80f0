#!/usr/bin/env bash
# Before the first release only: rebuild the single initial migration from the models.
# (After a release, add migrations with `linli db migrate -m ...` instead.)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/*.py
DATABASE_URL="sqlite:///$tmp/empty.db" PYTHONPATH=$PWD .venv/bin/linli db migrate -m "initial schema" >/dev/null
rm -rf "$tmp"
ls migrations/versions/
