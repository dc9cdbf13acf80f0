from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from core.api.problems import ApiError
from core.districts.schemas import SLUG
from core.identity.schemas import NewUserSchema
from merchants.money import MoneyError, as_json, parse_amount

TEXT = lambda n: fields.String(validate=validate.Length(max=n), allow_none=True)  # noqa: E731


class MoneyIn(Schema):
    amount = fields.String(required=True, validate=validate.Length(min=1, max=30),
                           metadata={"example": "0.10"})
    currency = fields.String(required=True, validate=validate.Length(equal=3),
                             metadata={"example": "CNY"})


def money_from(body: dict, field: str, currency: str | None = None, required=True) -> int | None:
    """Minor units from ``body[field]`` (``{"amount": "0.10", "currency": "CNY"}``), or a
    422 naming the field; ``currency``, when given, is the only one accepted."""
    value = body.get(field)
    if value is None:
        if required:
            raise ApiError(422, "invalid", _("Some fields are not valid."),
                           errors={field: [_("Missing data for required field.")]})
        return None
    if currency is not None and value["currency"] != currency:
        message = _("Use the community's currency, %(currency)s.", currency=currency)
        raise ApiError(422, "invalid", message, errors={field: {"currency": [message]}})
    try:
        return parse_amount(value["amount"], value["currency"])
    except MoneyError as exc:
        raise ApiError(422, "invalid", str(exc), errors={field: {"amount": [str(exc)]}}) from exc


class MerchantIn(Schema):
    slug = fields.String(**SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    owner = fields.Nested(NewUserSchema, required=True)
    category = TEXT(40)
    address = TEXT(200)
    opening_hours = TEXT(120)
    phone = TEXT(30)
    description = TEXT(2000)


class MerchantOut(Schema):
    id = fields.UUID()
    slug = fields.String()
    name = fields.String()
    status = fields.Function(lambda m: m.status.value)
    category = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    opening_hours = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    description = fields.String(allow_none=True)


class StaffOut(Schema):
    id = fields.UUID()
    login = fields.String()
    name = fields.String()


class PartnerIn(Schema):
    merchant = fields.String(required=True, validate=validate.Length(min=1, max=40))
    point_value = fields.Nested(MoneyIn, required=True)
    monthly_cap = fields.Nested(MoneyIn, allow_none=True, load_default=None)


class TermsIn(Schema):
    point_value = fields.Nested(MoneyIn, required=True)
    monthly_cap = fields.Nested(MoneyIn, allow_none=True, load_default=None)


class ApplyIn(Schema):
    community = fields.String(required=True, validate=validate.Length(min=1, max=40))
    message = fields.String(validate=validate.Length(max=300), load_default=None, allow_none=True)


class PartnerOut(Schema):
    merchant = fields.Function(lambda p: p.merchant.slug)
    merchant_name = fields.Function(lambda p: p.merchant.name)
    community = fields.Method("_community")
    status = fields.Function(lambda p: p.status.value)
    point_value = fields.Function(lambda p: as_json(p.point_value_minor, p.currency))
    monthly_cap = fields.Function(lambda p: as_json(p.monthly_cap_minor, p.currency))
    suspended_by = fields.Function(lambda p: p.suspended_by.value if p.suspended_by else None)
    message = fields.String(allow_none=True)

    def _community(self, p):
        from core.extensions import db
        from core.tenancy.models import Community

        return db.session.get(Community, p.community_id).slug


class PartnerList(Schema):
    items = fields.List(fields.Nested(PartnerOut))
    next_cursor = fields.String(allow_none=True)
