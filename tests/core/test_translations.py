"""Chinese first: every user-facing string has a Chinese translation, the catalogue is in
step with the source, and translations keep their placeholders."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


def _catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="zh_Hans_CN")


def _ids(catalog):
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def test_every_message_has_a_chinese_translation():
    missing = [m.id for m in _catalog() if m.id and (not m.string or m.fuzzy)]
    assert missing == [], "run scripts/i18n.sh and translate: " + "; ".join(map(str, missing[:20]))


def test_catalogue_covers_the_source(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-k", "N_", "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        source = _ids(read_po(handle))
    missing = sorted(source - _ids(_catalog()))
    assert missing == [], "run scripts/i18n.sh: new strings " + "; ".join(missing[:20])


def test_translations_keep_their_placeholders():
    wrong = [
        m.id for m in _catalog()
        if m.id and m.string and isinstance(m.id, str)
        and sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))
    ]
    assert wrong == []
