"""A statement as CSV and XLSX, in the reader's language: a heading block (who, month,
totals), then one row per voucher, then the credit notes. Amounts are decimal strings in CSV
(exact, as the API gives them) and numbers in XLSX (so a spreadsheet can add them up)."""

import csv
import io
from decimal import Decimal

from flask_babel import format_datetime
from flask_babel import gettext as _

from core.exports.xlsx import download, safe_cell, xlsx_response
from merchants.money import amount_text
from merchants.settlement.actions import STATUS_WORDS
from merchants.settlement.queries import credit_notes_of, lines_of, parties


def _filename(statement, merchant, community, ext):
    return f"{_('statement')}-{statement.month}-{merchant.slug}-{community.slug}.{ext}"


def _money(minor, currency, as_number):
    text = amount_text(minor, currency)
    return Decimal(text) if as_number else text


def _sections(statement, as_number):
    community, merchant = parties(statement)
    cur = statement.currency
    head = [
        (_("Statement"), f"{merchant.name} · {community.name}"),
        (_("Month"), statement.month),
        (_("Status"), str(STATUS_WORDS[statement.status])),
        (_("Currency"), cur),
        (_("Vouchers"), statement.vouchers),
        (_("Points"), statement.points),
        (_("Amount"), _money(statement.amount_minor, cur, as_number)),
        (_("Credit notes"), _money(statement.credited_minor, cur, as_number)),
        (_("Amount due"), _money(statement.due_minor, cur, as_number)),
    ]
    line_columns = [_("Redeemed at"), _("Voucher"), _("Offer"), _("Points"), _("Value per point"),
                    _("Amount"), _("Disputed: reason")]
    lines = [[format_datetime(line.redeemed_at, "yyyy-MM-dd HH:mm"), "…" + line.code_tail, line.title,
              line.points, _money(line.point_value_minor, line.currency, as_number),
              _money(line.amount_minor, line.currency, as_number), line.disputed_reason or ""]
             for line in lines_of(statement)]
    note_columns = [_("Credit note"), _("Amount"), _("Reason")]
    notes = [[format_datetime(note.created_at, "yyyy-MM-dd HH:mm"), _money(note.amount_minor, cur, as_number),
              note.reason] for note in credit_notes_of(statement)]
    return community, merchant, head, (line_columns, lines), (note_columns, notes)


def csv_response(statement):
    community, merchant, head, (line_columns, lines), (note_columns, notes) = _sections(statement, False)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for label, value in head:
        writer.writerow([safe_cell(label), safe_cell(value)])
    writer.writerow([])
    writer.writerow(line_columns)
    writer.writerows([[safe_cell(v) for v in row] for row in lines])
    if notes:
        writer.writerow([])
        writer.writerow(note_columns)
        writer.writerows([[safe_cell(v) for v in row] for row in notes])
    # a byte-order mark: Excel then reads the UTF-8 (Chinese names) correctly
    data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return download(data, _filename(statement, merchant, community, "csv"), "text/csv; charset=utf-8")


def xlsx(statement):
    community, merchant, head, (line_columns, lines), (note_columns, notes) = _sections(statement, True)
    sheets = [(_("Statement"), [_("What"), _("Value")], head), (_("Vouchers"), line_columns, lines)]
    if notes:
        sheets.append((_("Credit notes"), note_columns, notes))
    return xlsx_response(_filename(statement, merchant, community, "xlsx"), sheets)
