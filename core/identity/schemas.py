from marshmallow import Schema, fields, validate

LOGIN_PATTERN = r"^[A-Za-z0-9_.@+-]{3,64}$"


class NewUserSchema(Schema):
    login = fields.String(required=True, validate=validate.Regexp(LOGIN_PATTERN))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))


class TokenIn(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class TokenOut(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
