"""JSON shapes of rules, awards and claims (marshmallow; integers are strict)."""

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tenants.rules.errors import MAX_CAP, MAX_NOTE, MAX_POINTS, MAX_QUANTITY, MAX_REASON

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
ROLES = ("resident", "grid_worker", "admin")


def _cap():
    return fields.Integer(strict=True, allow_none=True, load_default=None,
                          validate=validate.Range(min=1, max=MAX_CAP))


class CapsSchema(Schema):
    day = _cap()
    month = _cap()
    year = _cap()


class RuleIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(CODE_PATTERN), metadata={
        "description": "Used in awards and claims; letters, digits, _ . -", "example": "cleanup"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    category = fields.String(load_default="", validate=validate.Length(max=60),
                             metadata={"description": "A free label", "example": "环境卫生"})
    points = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_POINTS))
    unit = fields.String(load_default="each", validate=validate.OneOf(["each", "hour"]),
                         metadata={"description": "`each`: points per deed; `hour`: per hour"})
    needs_approval = fields.Boolean(load_default=True, metadata={
        "description": "A resident's claim waits for a grid worker"})
    needs_evidence = fields.Boolean(load_default=False, metadata={
        "description": "A claim must carry a photo"})
    awarded_by = fields.List(
        fields.String(validate=validate.OneOf(ROLES)), load_default=["grid_worker", "admin"],
        validate=validate.Length(max=3),
        metadata={"description": "`resident` (may claim it), `grid_worker`, `admin`"},
    )
    caps = fields.Nested(CapsSchema, load_default=dict, metadata={
        "description": "Per member, in the rule's unit (times or hours); null: no cap"})


class RuleOut(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    category = fields.String()
    points = fields.Integer()
    unit = fields.Function(lambda r: r.unit.value)
    needs_approval = fields.Boolean()
    needs_evidence = fields.Boolean()
    awarded_by = fields.List(fields.String())
    caps = fields.Function(lambda r: {"day": r.cap_day, "month": r.cap_month, "year": r.cap_year})
    active = fields.Boolean()


class ListArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=64))


class RuleListArgs(ListArgs):
    include_retired = fields.Boolean(load_default=False)


class RuleList(Schema):
    items = fields.List(fields.Nested(RuleOut))
    next_cursor = fields.String(allow_none=True)


class AwardIn(Schema):
    member = fields.String(required=True, validate=validate.Length(min=1, max=64),
                           metadata={"description": "The member's id"})
    rule = fields.String(required=True, validate=validate.Length(min=1, max=40),
                         metadata={"description": "The rule's code"})
    quantity = fields.Integer(load_default=1, strict=True,
                              validate=validate.Range(min=1, max=MAX_QUANTITY),
                              metadata={"description": "Deeds, or hours for an hourly rule"})
    note = fields.String(load_default="", validate=validate.Length(max=MAX_NOTE))


class TransactionOut(Schema):
    id = fields.UUID()
    points = fields.Integer()
    reason = fields.String()


class AwardOut(Schema):
    transaction = fields.Nested(TransactionOut)
    balance = fields.Integer()
    rule = fields.String()
    member = fields.UUID()
    quantity = fields.Integer()


class ClaimIn(Schema):
    rule = fields.String(required=True, validate=validate.Length(min=1, max=40),
                         metadata={"description": "The rule's code; the rule must be claimable"})
    quantity = fields.Integer(load_default=1, strict=True,
                              validate=validate.Range(min=1, max=MAX_QUANTITY))
    note = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NOTE),
                         metadata={"description": "What was done"})
    photo = fields.String(load_default=None, validate=validate.Length(max=7_100_000), metadata={
        "description": "Optional evidence: a JPEG, PNG or WebP image of at most 5 MB, base64."})

    @validates_schema
    def _note_not_blank(self, data, **kwargs):
        if not (data.get("note") or "").strip():
            raise ValidationError(_("Please write what you did."), "note")


class ClaimOut(Schema):
    id = fields.UUID()
    rule = fields.Function(lambda c: c.rule.code)
    rule_name = fields.Function(lambda c: c.rule.name)
    member = fields.UUID(attribute="member_id")
    member_name = fields.Function(lambda c: c.member.name)
    quantity = fields.Integer()
    note = fields.String()
    has_photo = fields.Function(lambda c: bool(c.photo))
    status = fields.Function(lambda c: c.status.value)
    points = fields.Integer(allow_none=True)
    reason = fields.String(attribute="decision_reason", allow_none=True)
    transaction = fields.UUID(attribute="transaction_id", allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class ClaimListArgs(ListArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(["pending", "approved", "rejected"]))
    member = fields.String(load_default=None, validate=validate.Length(max=64))


class ClaimList(Schema):
    items = fields.List(fields.Nested(ClaimOut))
    next_cursor = fields.String(allow_none=True)


class DecisionIn(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=MAX_REASON))


class RejectIn(Schema):
    # Required, but checked after the claim is found (an unknown claim is 404 whatever the body).
    reason = fields.String(load_default="", validate=validate.Length(max=MAX_REASON),
                           metadata={"description": "Required: the resident reads it"})


class BulkDecisionIn(Schema):
    claims = fields.List(fields.String(validate=validate.Length(max=64)), required=True,
                         validate=validate.Length(min=1, max=200))
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = fields.String(load_default="", validate=validate.Length(max=MAX_REASON))
