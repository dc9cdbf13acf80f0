"""The shop's sales per month as an XLSX workbook (openpyxl): what was handed over, by the
month it was handed over in the community's time zone."""

import io
from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from core.extensions import db
from tenants.shop.models import OrderStatus, ShopItem, ShopOrder


def monthly_sales(community, year: int) -> list[dict]:
    zone = ZoneInfo(community.timezone)
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    rows = db.session.execute(
        select(ShopOrder.closed_at, ShopOrder.item_id, ShopOrder.item_name, ShopOrder.quantity,
               ShopOrder.points, ShopOrder.at_counter)
        .where(ShopOrder.status == OrderStatus.COLLECTED, ShopOrder.closed_at >= start,
               ShopOrder.closed_at < end)
    ).all()
    categories = dict(db.session.execute(select(ShopItem.id, ShopItem.category)).all())
    totals = defaultdict(lambda: {"orders": 0, "quantity": 0, "points": 0, "counter": 0})
    for closed_at, item_id, name, quantity, points, at_counter in rows:
        month = closed_at.astimezone(zone).strftime("%Y-%m")
        entry = totals[(month, name, categories.get(item_id, ""))]
        entry["orders"] += 1
        entry["quantity"] += quantity
        entry["points"] += points
        entry["counter"] += 1 if at_counter else 0
    return [
        {"month": month, "item": name, "category": category, **values}
        for (month, name, category), values in sorted(totals.items())
    ]


def sales_workbook(community, year: int) -> bytes:
    rows = monthly_sales(community, year)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Sales")[:31]
    header = [_("Month"), _("Item"), _("Category"), _("Orders"), _("Of which at the counter"),
              _("Quantity"), _("Points")]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row["month"], row["item"], row["category"], row["orders"], row["counter"],
                      row["quantity"], row["points"]])
    if rows:
        sheet.append([_("Total"), "", "", sum(r["orders"] for r in rows), sum(r["counter"] for r in rows),
                      sum(r["quantity"] for r in rows), sum(r["points"] for r in rows)])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for index, width in enumerate([10, 24, 14, 10, 14, 10, 10], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
