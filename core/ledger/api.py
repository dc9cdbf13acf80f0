from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields

from core.api.framework import community_api_blueprint, not_found
from core.ledger.display import reason_text
from core.ledger.queries import balance, history
from core.tenancy.access import NotFound, access_member

blp = community_api_blueprint("api_ledger", __name__, "/members", description="Points ledger")


class EntryOut(Schema):
    at = fields.DateTime()
    points = fields.Integer()
    balance_after = fields.Integer()
    kind = fields.String()
    reason = fields.String()


class LedgerOut(Schema):
    balance = fields.Integer()
    entries = fields.List(fields.Nested(EntryOut))


@blp.route("/<member_id>/ledger")
class MemberLedger(MethodView):
    @blp.response(200, LedgerOut)
    def get(self, member_id):
        """A member's balance and history, newest first (staff, or the member)."""
        try:
            member = access_member(g.actor, member_id)
        except NotFound as exc:
            raise not_found() from exc
        entries = [
            {"at": e.at, "points": e.points, "balance_after": e.balance_after, "kind": e.kind,
             "reason": reason_text(e.kind, e.reason)}
            for e in history(member, limit=500)
        ]
        return {"balance": balance(member), "entries": entries}
