"""Fill msgstr entries of the Chinese catalogue from a JSON object {msgid: translation}.

    .venv/bin/python scripts/fill_translations.py new-strings.json

Only empty entries are filled unless --overwrite is given; unknown msgids are reported.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def main(path: str, overwrite: bool) -> None:
    wanted = json.loads(Path(path).read_text(encoding="utf-8"))
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans_CN")
    unknown = []
    for msgid, translation in wanted.items():
        message = catalog.get(msgid)
        if message is None:
            unknown.append(msgid)
            continue
        if overwrite or not any(message.string if isinstance(message.string, tuple) else [message.string]):
            # zh_Hans_CN has a single plural form: a plural message takes a 1-tuple
            message.string = (translation,) if isinstance(message.id, tuple) else translation
            message.flags.discard("fuzzy")
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)
    for msgid in unknown:
        print(f"not in the catalogue: {msgid}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], "--overwrite" in sys.argv)
