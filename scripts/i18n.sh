#!/usr/bin/env bash
# Refresh the catalogues from the source: `scripts/i18n.sh` extracts every translatable
# string and merges it into translations/{zh_Hans_CN,en}/LC_MESSAGES/messages.po.
# Then fill the empty zh msgstr entries; tests/core/test_translations.py fails on any left.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

$BIN/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output \
  -o translations/messages.pot . >/dev/null 2>&1
for lang in zh_Hans_CN en; do
  $BIN/pybabel update -i translations/messages.pot -d translations -l "$lang" \
    --no-fuzzy-matching --ignore-obsolete >/dev/null
done
echo "untranslated in zh_Hans_CN: $($BIN/python scripts/untranslated.py | wc -l)"
