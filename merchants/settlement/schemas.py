"""Statements in JSON (API.md): ``vouchers`` is the number of vouchers, ``points`` their total,
money as decimal strings in the statement's ``currency`` (``"12.50"``)."""

from marshmallow import Schema, fields, validate

from merchants.api_support import PageArgs
from merchants.money import amount_text
from merchants.settlement.periods import MONTH
from merchants.settlement.queries import credit_notes_of, lines_of, parties, payment_of


def summary(statement, community, merchant) -> dict:
    currency = statement.currency
    return {
        "id": statement.id, "community": community.slug, "community_name": community.name,
        "merchant": merchant.slug, "merchant_name": merchant.name, "month": statement.month,
        "status": statement.status.value, "vouchers": statement.vouchers, "points": statement.points,
        "amount": amount_text(statement.amount_minor, currency),
        "credited": amount_text(statement.credited_minor, currency),
        "due": amount_text(statement.due_minor, currency), "currency": currency,
        "issued_at": statement.created_at, "confirmed_at": statement.confirmed_at,
        "approved_at": statement.approved_at, "paid_at": statement.paid_at,
        "closed_at": statement.closed_at, "disputed_reason": statement.disputed_reason,
    }


def detail(statement) -> dict:
    community, merchant = parties(statement)
    currency = statement.currency
    payment = payment_of(statement)
    return {
        **summary(statement, community, merchant),
        "lines": [{
            "id": line.id, "redeemed_at": line.redeemed_at, "title": line.title,
            "code": "…" + line.code_tail, "points": line.points,
            "point_value": amount_text(line.point_value_minor, line.currency),
            "amount": amount_text(line.amount_minor, line.currency),
            "disputed_reason": line.disputed_reason,
        } for line in lines_of(statement)],
        "credit_notes": [{
            "id": note.id, "amount": amount_text(note.amount_minor, currency), "reason": note.reason,
            "line": note.line_id, "created_at": note.created_at,
        } for note in credit_notes_of(statement)],
        "payment": payment and {
            "method": payment.method.value, "reference": payment.reference,
            "amount": amount_text(payment.amount_minor, payment.currency), "paid_at": payment.created_at,
        },
    }


class StatementArgs(PageArgs):
    month = fields.String(load_default=None, validate=validate.Regexp(MONTH),
                          metadata={"description": "YYYY-MM"})


class StatementItem(Schema):
    id = fields.UUID()
    community = fields.String(metadata={"description": "the community's slug"})
    community_name = fields.String()
    merchant = fields.String(metadata={"description": "the merchant's slug"})
    merchant_name = fields.String()
    month = fields.String()
    status = fields.String(metadata={"description": "issued, disputed, adjusted, confirmed, approved, paid, closed"})
    vouchers = fields.Integer(metadata={"description": "how many vouchers"})
    points = fields.Integer(metadata={"description": "their points, in total"})
    amount = fields.String(metadata={"description": "points x point value over the vouchers"})
    credited = fields.String(metadata={"description": "credit notes, in total"})
    due = fields.String(metadata={"description": "amount less credit notes: what is paid"})
    currency = fields.String()
    issued_at = fields.DateTime()
    confirmed_at = fields.DateTime(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    disputed_reason = fields.String(allow_none=True)


class StatementList(Schema):
    items = fields.List(fields.Nested(StatementItem))
    next_cursor = fields.String(allow_none=True)


class LineOut(Schema):
    id = fields.UUID(metadata={"description": "the voucher's id"})
    redeemed_at = fields.DateTime()
    title = fields.String()
    code = fields.String(metadata={"description": "the end of the voucher's code"})
    points = fields.Integer()
    point_value = fields.String()
    amount = fields.String()
    disputed_reason = fields.String(allow_none=True)


class CreditNoteOut(Schema):
    id = fields.UUID()
    amount = fields.String()
    reason = fields.String()
    line = fields.UUID(allow_none=True)
    created_at = fields.DateTime()


class PaymentOut(Schema):
    method = fields.String()
    reference = fields.String()
    amount = fields.String()
    paid_at = fields.DateTime()


class StatementOut(StatementItem):
    lines = fields.List(fields.Nested(LineOut))
    credit_notes = fields.List(fields.Nested(CreditNoteOut))
    payment = fields.Nested(PaymentOut, allow_none=True)


class DisputeIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))
    lines = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list,
                        validate=validate.Length(max=1000),
                        metadata={"description": "ids of the disputed lines (optional)"})


class CreditNoteIn(Schema):
    amount = fields.String(required=True, validate=validate.Length(min=1, max=30),
                           metadata={"description": "a decimal string in the statement's currency"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))
    line = fields.String(load_default=None, validate=validate.Length(max=64))


class PaymentIn(Schema):
    method = fields.String(required=True, validate=validate.OneOf(["offline", "stripe"]))
    reference = fields.String(load_default=None, validate=validate.Length(max=120),
                              metadata={"description": "the bank transfer's reference (offline)"})


class CloseIn(Schema):
    month = fields.String(required=True, validate=validate.Regexp(MONTH), metadata={"description": "YYYY-MM"})


class ClosedCommunity(Schema):
    community = fields.String()
    statements = fields.Integer()
    vouchers = fields.Integer()
    already_closed = fields.Boolean()


class CloseOut(Schema):
    month = fields.String()
    statements_created = fields.Integer()
    communities = fields.List(fields.Nested(ClosedCommunity))
