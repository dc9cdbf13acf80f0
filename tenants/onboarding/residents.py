"""Reading a resident spreadsheet (XLSX or CSV) and saying what is wrong with each row.

The template has one heading row in Chinese and English: 姓名 Name, 手机号 Phone, 账户类型 Account
kind, 楼栋 Building. Headings are matched by either language, in any order. Rows are checked
for: a missing name, a phone that is not a mainland mobile number (1[3-9] and nine digits;
spaces, dashes and a +86 prefix are forgiven), an account kind nobody knows, a building that
is not on the community's grid (once it has one), and duplicates: the same phone twice in the
file or already registered, and the same name as another row or an existing member when no
phone tells them apart (the admin can say "this is another person").
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from core.green import let_others_run

MAX_ROWS = 5000
MOBILE = re.compile(r"^1[3-9]\d{9}$")

COLUMNS = ("name", "phone", "kind", "building")
# Checked in this order, the most specific first ("Building name" is a building).
HEADINGS = {
    "kind": ("账户类型", "类型", "身份", "account kind", "kind", "account"),
    "phone": ("手机", "电话", "phone", "mobile"),
    "building": ("楼栋", "楼", "building"),
    "name": ("姓名", "名字", "name"),
}
TEMPLATE_HEADINGS = ("姓名 Name", "手机号 Phone", "账户类型 Account kind (红/蓝/绿)", "楼栋 Building")
TEMPLATE_EXAMPLES = (
    ("王秀英", "13800138000", "红", "1栋"),
    ("李建国", "", "群众", ""),
    ("Zhang Wei", "139 1234 5678", "green", "2栋"),
)

KINDS = {
    "red": "red", "红": "red", "红色": "red", "党员": "red", "party member": "red",
    "blue": "blue", "蓝": "blue", "蓝色": "blue", "群众": "blue", "居民": "blue", "resident": "blue",
    "green": "green", "绿": "green", "绿色": "green", "楼栋长": "green", "单元长": "green",
    "楼栋单元长": "green", "building head": "green",
}

PROBLEMS = {
    "missing_name": _l("The name is missing."),
    "name_too_long": _l("The name is longer than 80 characters."),
    "bad_phone": _l("This is not a mainland mobile number (11 digits starting 13 to 19)."),
    "unknown_kind": _l("Unknown account kind: use red, blue or green (红/蓝/绿, 党员/群众/楼栋长)."),
    "unknown_building": _l("No building of this name on the community's grid."),
    "duplicate_phone_in_file": _l("The same phone number is on another row of this file."),
    "phone_taken": _l("This phone number is already registered."),
    "possible_duplicate_in_file": _l("Another row has the same name (and no phone to tell them apart)."),
    "possible_duplicate_member": _l("A member with this name already exists (and no phone to tell them apart)."),
}
# Problems the admin may clear by saying the row is another person.
CLEARABLE = {"possible_duplicate_in_file", "possible_duplicate_member"}


class FileProblem(Exception):
    """The file as a whole cannot be read; ``message`` says why in words."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class RawRow:
    line: int
    values: dict = field(default_factory=dict)


# --- reading ---------------------------------------------------------------------------------


def read_file(filename: str, data: bytes) -> list[RawRow]:
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        table = _xlsx_rows(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        table = _csv_rows(data)
    else:
        raise FileProblem(_l("Upload the template as an .xlsx or .csv file."))
    return _rows_from_table(table)


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise FileProblem(_l("This file could not be read as a spreadsheet (.xlsx).")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                break
            if len(rows) % 200 == 0:
                let_others_run()
        return rows
    finally:
        workbook.close()


def _csv_rows(data: bytes):
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileProblem(_l("This file's text encoding is not UTF-8 or GBK."))
    if "\x00" in text:
        raise FileProblem(_l("This file could not be read as CSV."))
    try:
        return list(csv.reader(io.StringIO(text)))[: MAX_ROWS + 2]
    except csv.Error as exc:
        raise FileProblem(_l("This file could not be read as CSV.")) from exc


def _heading_of(cell) -> str | None:
    text = _text(cell).lower()
    if not text:
        return None
    for column, words in HEADINGS.items():
        if any(word in text for word in words):
            return column
    return None


def _rows_from_table(table) -> list[RawRow]:
    table = [row for row in table if row is not None]
    if not table:
        raise FileProblem(_l("The file is empty."))
    header = table[0]
    positions = {}
    for index, cell in enumerate(header):
        column = _heading_of(cell)
        if column and column not in positions:
            positions[column] = index
    if "name" not in positions:
        raise FileProblem(_l("The first row must hold the template's headings (姓名 Name, 手机号 Phone, 账户类型 Account kind, 楼栋 Building)."))
    rows = []
    for offset, row in enumerate(table[1:], start=2):
        values = {c: _cell(row, positions.get(c)) for c in COLUMNS}
        if not any(values.values()):
            continue  # blank lines are not rows
        rows.append(RawRow(offset, values))
    if len(rows) > MAX_ROWS:
        raise FileProblem(_l("At most %(n)d residents per file: split the list.", n=MAX_ROWS))
    if not rows:
        raise FileProblem(_l("The file has headings but no residents."))
    return rows


def _cell(row, index):
    if index is None or index >= len(row):
        return ""
    return _text(row[index])


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone typed into Excel comes back as 13800138000.0
    return re.sub(r"[\x00-\x1f\x7f]", "", str(value)).strip()


# --- normalising -----------------------------------------------------------------------------


def normalise_phone(text: str) -> str:
    digits = re.sub(r"[\s\-()（）.]", "", text or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    return digits[:40]


def kind_of(text: str) -> str | None:
    """red/blue/green from the words people use; empty means blue (an ordinary resident)."""
    key = (text or "").strip().lower()
    if not key:
        return "blue"
    return KINDS.get(key)


def normalise_name(name: str) -> str:
    return re.sub(r"\s+", " ", (name or "").strip())


def name_key(name: str) -> str:
    return normalise_name(name).lower()


# --- checking --------------------------------------------------------------------------------


@dataclass
class Context:
    """What rows are checked against: the community's members, taken phones, buildings."""

    member_names: set  # name keys of existing members
    taken_phones: set  # phones (and logins that look like phones) of existing users
    buildings: dict  # building name key -> id; empty: the community has no grid yet


def check_rows(rows, context: Context) -> None:
    """Set ``account_kind``, ``building_id`` and ``problems`` on every row (ImportRow objects).
    Skipped and already imported rows take no part in the in-file duplicate checks."""
    live = [r for r in rows if not r.skip and r.member_id is None]
    phones, names = {}, {}
    for row in live:
        if row.phone:
            phones.setdefault(row.phone, []).append(row)
        if not row.phone and row.name:
            names.setdefault((name_key(row.name), row.building.strip().lower()), []).append(row)
    for row in rows:
        if row.member_id is not None:
            continue
        problems = []
        name = normalise_name(row.name)
        if not name:
            problems.append("missing_name")
        elif len(name) > 80:
            problems.append("name_too_long")
        if row.phone and not MOBILE.match(row.phone):
            problems.append("bad_phone")
        row.account_kind = kind_of(row.kind_text)
        if row.account_kind is None:
            problems.append("unknown_kind")
        row.building_id = None
        if row.building and context.buildings:
            row.building_id = context.buildings.get(row.building.strip().lower())
            if row.building_id is None:
                problems.append("unknown_building")
        if not row.skip:
            if row.phone and len(phones.get(row.phone, [])) > 1:
                problems.append("duplicate_phone_in_file")
            if row.phone and row.phone in context.taken_phones:
                problems.append("phone_taken")
            if not row.phone and name and not row.distinct_person:
                if len(names.get((name_key(name), row.building.strip().lower()), [])) > 1:
                    problems.append("possible_duplicate_in_file")
                if name_key(name) in context.member_names:
                    problems.append("possible_duplicate_member")
        row.problems = problems


def problem_text(code: str) -> str:
    return str(PROBLEMS.get(code, code))


def template_rows():
    return [list(TEMPLATE_HEADINGS)] + [list(r) for r in TEMPLATE_EXAMPLES]


def template_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in template_rows():
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read it as UTF-8
