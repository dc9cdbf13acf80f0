"""``GET /api/v1/districts/{district}/figures?month=YYYY-MM`` (district admins): one item per
community, the same numbers as the district dashboard (both come from ``dashboard.build``)."""

from flask import request
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields

from core.api.framework import ApiError, api_blueprint, authenticated_user, not_found
from core.figures.months import Month
from core.figures.values import Money
from tenants.reports import dashboard
from tenants.reports.access import district_communities, district_of

blp = api_blueprint("api_district_figures", __name__, "/districts", description="District figures")


class MoneyOut(Schema):
    amount = fields.String()
    currency = fields.String()


class KindsOut(Schema):
    red = fields.Integer()
    blue = fields.Integer()
    green = fields.Integer()


class FigureItem(Schema):
    community = fields.String(metadata={"description": "the community's slug"})
    name = fields.String()
    members = fields.Nested(KindsOut)
    active_volunteers = fields.Integer()
    participation = fields.Float(allow_none=True)
    points_issued = fields.Integer()
    points_spent = fields.Integer()
    points_expired = fields.Integer()
    points_outstanding = fields.Integer()
    vouchers_redeemed = fields.Integer()
    owed_to_merchants = fields.Nested(MoneyOut)
    liability = fields.Nested(MoneyOut, allow_none=True)


class FiguresOut(Schema):
    month = fields.String()
    items = fields.List(fields.Nested(FigureItem))
    next_cursor = fields.String(allow_none=True)


def _money(value, currency):
    if isinstance(value, Money):
        return value.as_json()
    return Money(0, currency).as_json()


def item_for(board, community) -> dict:
    def value(name, default=0):
        found = board.value(name, community.id)
        return default if found is None else found

    participation = board.value("participation", community.id)
    liability = board.value("liability", community.id)
    return {
        "community": community.slug,
        "name": community.name,
        "members": {k: int(value(f"members_{k}")) for k in ("red", "blue", "green")},
        "active_volunteers": int(value("active_volunteers")),
        "participation": participation.value if participation is not None else None,
        "points_issued": int(value("points_issued")),
        "points_spent": int(value("points_spent")),
        "points_expired": int(value("points_expired")),
        "points_outstanding": int(value("points_outstanding")),
        "vouchers_redeemed": int(value("vouchers_redeemed")),
        "owed_to_merchants": _money(board.value("owed_to_merchants", community.id), community.currency),
        "liability": liability.as_json() if isinstance(liability, Money) else None,
    }


@blp.route("/<district>/figures")
class DistrictFigures(MethodView):
    @blp.response(200, FiguresOut)
    @blp.doc(parameters=[{"name": "month", "in": "query", "required": False,
                          "schema": {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"},
                          "description": "YYYY-MM; the current month when left out"}])
    def get(self, district):
        """The district's figures for a month, one item per community (district admins)."""
        user = authenticated_user()
        found = district_of(user, district)  # the district first: another's is a 404 whatever the query
        if found is None:
            raise not_found()
        communities = district_communities(found)
        text = request.args.get("month")
        if text is None:
            month = dashboard.default_month(communities)
        else:
            month = Month.parse(text)
            if month is None:
                message = _("Months are written like 2025-05.")
                raise ApiError(422, "invalid", message, errors={"month": [message]})
        board = dashboard.build(communities, month, series=False, breakdowns=False)
        return {"month": str(month), "items": [item_for(board, c) for c in communities],
                "next_cursor": None}
