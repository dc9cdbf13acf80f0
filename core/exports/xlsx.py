"""Writing XLSX files with openpyxl (write-only mode: rows stream out, memory stays flat)."""

import io
import re
from decimal import Decimal
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.green import let_others_run

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters Excel refuses in sheet titles, and the control characters XML cannot carry.
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A cell starting with these is a formula to a spreadsheet program: a resident's name like
# "=HYPERLINK(...)" must stay text (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str):
        value = _CONTROL.sub("", value)
        if value.startswith(_FORMULA_START) and not _is_number(value):
            return "'" + value
        return value
    if isinstance(value, Decimal):
        return float(value)
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class SheetWriter:
    """One worksheet: a bold header, then rows appended as they come."""

    def __init__(self, workbook, title: str, columns):
        self.sheet = workbook.create_sheet(_BAD_TITLE.sub(" ", str(title))[:31] or "Sheet")
        self.sheet.freeze_panes = "A2"
        widths = [max(10, min(40, len(str(c)) * 2 + 2)) for c in columns]
        for index, width in enumerate(widths):
            self.sheet.column_dimensions[_column_letter(index)].width = width
        header = []
        for column in columns:
            cell = WriteOnlyCell(self.sheet, value=safe_cell(str(column)))
            cell.font = Font(bold=True)
            header.append(cell)
        self.sheet.append(header)
        self.rows = 0

    def append(self, row) -> None:
        self.sheet.append([safe_cell(v) for v in row])
        self.rows += 1
        if self.rows % 200 == 0:  # a long export must not hold a gevent worker's other requests
            let_others_run()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build(sheets) -> bytes:
    """``sheets``: [(title, columns, rows)] -> the XLSX file."""
    workbook = new_workbook()
    for title, columns, rows in sheets:
        writer = SheetWriter(workbook, title, columns)
        for row in rows:
            writer.append(row)
    return workbook_bytes(workbook)


def download(data: bytes, filename: str, mimetype: str = XLSX_MIME) -> Response:
    """A file download whose name may be Chinese (RFC 6266 ``filename*``, ASCII fallback)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "export.xlsx"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def xlsx_response(filename: str, sheets) -> Response:
    return download(build(sheets), filename)
