"""Print the msgids of the Chinese catalogue that have no translation (one per line)."""

from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"

with PO.open("rb") as handle:
    catalog = read_po(handle)
for message in catalog:
    if not message.id:
        continue
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if not all(strings) or message.fuzzy:
        print(message.id if isinstance(message.id, str) else message.id[0])
