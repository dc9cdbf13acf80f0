from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from merchants.money import as_json
from merchants.offers.models import OfferKind
from merchants.partners.schemas import MoneyIn

POINTS = validate.Range(min=1, max=1_000_000)


class OfferIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in OfferKind]))
    points = fields.Integer(required=True, strict=True, validate=POINTS)
    valid_from = fields.AwareDateTime(required=True)
    valid_until = fields.AwareDateTime(required=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))
    per_member_limit = fields.Integer(strict=True, allow_none=True, load_default=1,
                                      validate=validate.Range(min=1, max=1000))
    communities = fields.List(fields.String(validate=validate.Length(min=1, max=40)), required=True,
                              validate=validate.Length(min=1, max=100))
    terms = fields.String(validate=validate.Length(max=2000), load_default=None, allow_none=True)
    market_price = fields.Nested(MoneyIn, load_default=None, allow_none=True)
    offer_price = fields.Nested(MoneyIn, load_default=None, allow_none=True)
    cancellable = fields.Boolean(load_default=True)
    refund_on_expiry = fields.Boolean(load_default=True)
    status = fields.String(load_default="published", validate=validate.OneOf(["draft", "published"]))

    @validates_schema
    def _window(self, data, **kwargs):
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end <= start:
            raise ValidationError(_("The end must be after the start."), "valid_until")


class OfferPatch(OfferIn):
    """Every field optional (used with ``partial=True``); only those sent change."""


class OfferStatusIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["published", "paused", "ended"]))


class OfferOut(Schema):
    id = fields.UUID()
    merchant = fields.Function(lambda o: o.merchant.slug)
    merchant_name = fields.Function(lambda o: o.merchant.name)
    category = fields.Function(lambda o: o.merchant.category)
    title = fields.String()
    kind = fields.Function(lambda o: o.kind.value)
    points = fields.Integer()
    terms = fields.String(allow_none=True)
    market_price = fields.Function(lambda o: as_json(o.market_price_minor, o.currency))
    offer_price = fields.Function(lambda o: as_json(o.offer_price_minor, o.currency))
    saving = fields.Function(lambda o: as_json(o.saving_minor, o.currency))
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    quantity = fields.Integer()
    remaining = fields.Integer()
    per_member_limit = fields.Integer(allow_none=True)
    cancellable = fields.Boolean()
    refund_on_expiry = fields.Boolean()
    status = fields.Function(lambda o: o.status.value)
    phase = fields.Function(lambda o: o.phase())


class MerchantOfferOut(OfferOut):
    communities = fields.Method("_communities")

    def _communities(self, offer):
        from merchants.offers.queries import offer_communities

        return [c.slug for c in offer_communities(offer)]


class OfferList(Schema):
    items = fields.List(fields.Nested(OfferOut))
    next_cursor = fields.String(allow_none=True)


class MerchantOfferList(Schema):
    items = fields.List(fields.Nested(MerchantOfferOut))
    next_cursor = fields.String(allow_none=True)


class BrowseArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{1,7}$"))
    category = fields.String(load_default=None, validate=validate.Length(max=40))
    order = fields.String(load_default="newest", validate=validate.OneOf(["newest", "ending_soon"]))
    affordable = fields.Boolean(load_default=False)
