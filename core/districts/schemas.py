from marshmallow import Schema, ValidationError, fields, validate, validates

from core.districts.actions import valid_currency, valid_slug, valid_timezone
from core.identity.schemas import NewUserSchema
from core.tenancy.models import SLUG_PATTERN

SLUG = dict(
    required=True,
    validate=[validate.Length(min=1, max=40), validate.Regexp(SLUG_PATTERN)],
    metadata={"description": "lower-case letters, digits and dashes", "example": "heping"},
)


class DistrictIn(Schema):
    slug = fields.String(**SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))


class DistrictOut(Schema):
    id = fields.UUID()
    slug = fields.String()
    name = fields.String()


class CommunityIn(Schema):
    slug = fields.String(**SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    timezone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(max=64))
    currency = fields.String(load_default="CNY", validate=validate.Length(equal=3))
    admin = fields.Nested(NewUserSchema, required=True)

    @validates("timezone")
    def _timezone(self, value, **kwargs):
        if not valid_timezone(value):
            raise ValidationError("Unknown time zone.")

    @validates("currency")
    def _currency(self, value, **kwargs):
        if not valid_currency(value):
            raise ValidationError("Unknown currency code.")


class CommunityOut(Schema):
    id = fields.UUID()
    slug = fields.String()
    name = fields.String()
    district = fields.String(attribute="district.slug")
    timezone = fields.String()
    currency = fields.String()


class UserOut(Schema):
    id = fields.UUID()
    login = fields.String()
    name = fields.String()


__all__ = ["valid_slug"]
