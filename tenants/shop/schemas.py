from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tenants.shop.actions import MAX_POINTS, MAX_QUANTITY, MAX_STOCK

STRICT_INT = dict(strict=True)


class ItemIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    points = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_POINTS), **STRICT_INT)
    stock = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_STOCK), **STRICT_INT)
    category = fields.String(load_default="", validate=validate.Length(max=40))
    per_member_limit = fields.Integer(load_default=None, allow_none=True,
                                      validate=validate.Range(min=1, max=MAX_QUANTITY), **STRICT_INT)
    low_stock_at = fields.Integer(load_default=5, validate=validate.Range(min=0, max=MAX_STOCK), **STRICT_INT)
    active = fields.Boolean(load_default=True, truthy={True}, falsy={False})


class ItemOut(Schema):
    id = fields.UUID()
    name = fields.String()
    category = fields.String()
    points = fields.Integer()
    stock = fields.Integer()
    per_member_limit = fields.Integer(allow_none=True)
    low_stock_at = fields.Integer()
    active = fields.Boolean()
    created_at = fields.DateTime()


class RestockIn(Schema):
    delta = fields.Integer(required=True, validate=validate.Range(min=-MAX_STOCK, max=MAX_STOCK),
                           metadata={"description": "added to the stock; negative for breakage"},
                           **STRICT_INT)
    note = fields.String(load_default="", validate=validate.Length(max=200))


class OrderIn(Schema):
    item = fields.UUID(required=True, metadata={"description": "the item's id"})
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_QUANTITY), **STRICT_INT)
    member = fields.UUID(metadata={"description": "the member's id; defaults to the caller"})
    collect = fields.Boolean(
        load_default=False, truthy={True}, falsy={False},
        metadata={"description": "staff only: a sale at the counter, handed over at once"})


class OrderOut(Schema):
    id = fields.UUID()
    item = fields.UUID(attribute="item_id")
    item_name = fields.String()
    member = fields.UUID(attribute="member_id")
    quantity = fields.Integer()
    points = fields.Integer()
    status = fields.Function(lambda o: o.status.value)
    pickup_code = fields.String()
    at_counter = fields.Boolean()
    placed_by = fields.UUID()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    balance = fields.Integer(dump_only=True, metadata={"description": "the member's balance now"})


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))


class OrderListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(["reserved", "collected", "cancelled", "expired"]))
    member = fields.UUID()
    code = fields.String(validate=validate.Length(max=40), metadata={"description": "a pickup code"})


class ItemPage(Schema):
    items = fields.List(fields.Nested(ItemOut))
    next_cursor = fields.String(allow_none=True)


class OrderPage(Schema):
    items = fields.List(fields.Nested(OrderOut))
    next_cursor = fields.String(allow_none=True)


class StatusOut(Schema):
    open = fields.Boolean()
    always_open = fields.Boolean()
    closes_at = fields.DateTime(allow_none=True)
    next_opening = fields.DateTime(allow_none=True)


class WindowIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["weekly", "dated"]))
    weekday = fields.Integer(validate=validate.Range(min=0, max=6),
                             metadata={"description": "weekly: 0 = Monday"}, **STRICT_INT)
    opens = fields.Time(metadata={"description": "weekly: local time of day, HH:MM"})
    closes = fields.Time()
    starts_at = fields.AwareDateTime(metadata={"description": "dated: ISO 8601 with offset"})
    ends_at = fields.AwareDateTime()

    @validates_schema
    def _shape(self, data, **kwargs):
        if data["kind"] == "weekly":
            missing = [f for f in ("weekday", "opens", "closes") if f not in data]
            if missing:
                raise ValidationError({f: [_("Required for a weekly window.")] for f in missing})
            if data["closes"] <= data["opens"]:
                raise ValidationError({"closes": [_("Must be after opens.")]})
        else:
            missing = [f for f in ("starts_at", "ends_at") if f not in data]
            if missing:
                raise ValidationError({f: [_("Required for a dated window.")] for f in missing})
            if data["ends_at"] <= data["starts_at"]:
                raise ValidationError({"ends_at": [_("Must be after starts_at.")]})


class WindowOut(Schema):
    id = fields.UUID()
    kind = fields.Function(lambda w: w.kind.value)
    weekday = fields.Integer(allow_none=True)
    opens = fields.Time(allow_none=True)
    closes = fields.Time(allow_none=True)
    starts_at = fields.DateTime(allow_none=True)
    ends_at = fields.DateTime(allow_none=True)


class WindowList(Schema):
    items = fields.List(fields.Nested(WindowOut))
