"""What the marketplace's JSON endpoints share: merchant-scoped blueprints, turning refusals
into problem+json, and lists as ``{"items": [...], "next_cursor": ...}``."""

from contextlib import contextmanager

from flask import g
from marshmallow import Schema, fields, validate

from core.api.framework import api_blueprint, authenticated_user, not_found
from core.tenancy.access import NotFound
from merchants.errors import MarketError, to_api_error


def merchant_api_blueprint(name: str, import_name: str, url_prefix: str = "", **kwargs):
    """Routes under ``/api/v1/merchants/<merchant>``: the token's user must work there (owner
    or staff), else 404 as if the merchant did not exist. Sets the merchant's tenant scope."""
    from merchants.partners.access import enter_merchant

    blp = api_blueprint(name, import_name, "/merchants/<merchant>" + url_prefix, **kwargs)

    @blp.url_value_preprocessor
    def _enter(endpoint, values):
        user = authenticated_user()
        slug = values.pop("merchant", None)
        try:
            g.merchant_actor = enter_merchant(slug, user)
        except NotFound as exc:
            raise not_found() from exc
        g.merchant = g.merchant_actor.merchant

    return blp


def require_owner():
    from flask_babel import gettext as _

    from core.api.problems import ApiError

    if not g.merchant_actor.is_owner:
        raise ApiError(403, "forbidden", _("Only the owner can do this."))


@contextmanager
def market_errors():
    """Inside an API view: a refused action becomes its problem+json answer."""
    try:
        yield
    except MarketError as exc:
        error = to_api_error(exc)
        retry = exc.details.get("retry_after")
        if retry:
            error.extra_headers["Retry-After"] = str(retry)
        raise error from exc
    except NotFound as exc:
        raise not_found() from exc


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{1,7}$"))


def page(rows_for, args, serialise) -> dict:
    """``rows_for(limit, offset)``; the cursor is the offset of the next page."""
    offset = int(args.get("cursor") or 0)
    limit = args["limit"]
    rows = rows_for(limit + 1, offset)
    more = len(rows) > limit
    return {
        "items": [serialise(row) for row in rows[:limit]],
        "next_cursor": str(offset + limit) if more else None,
    }
