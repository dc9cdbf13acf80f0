from flask import g, request
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from core.api.framework import ApiError, community_api_blueprint
from core.ids import parse_id
from core.notifications.actions import do_mark_read, inbox, text_of, unread_count

blp = community_api_blueprint("api_notifications", __name__, "/notifications",
                              description="The member's inbox")


class InboxNoticeOut(Schema):
    id = fields.UUID()
    kind = fields.String()
    text = fields.Function(text_of)
    params = fields.Dict()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class InboxOut(Schema):
    items = fields.List(fields.Nested(InboxNoticeOut))
    next_cursor = fields.String(allow_none=True)
    unread = fields.Integer()


class InboxReadIn(Schema):
    ids = fields.List(fields.UUID(), load_default=None, validate=validate.Length(max=500))


class InboxReadOut(Schema):
    marked = fields.Integer()
    unread = fields.Integer()


def _member():
    if g.actor.member is None:
        raise ApiError(404, "not_found", _("Not found."))
    return g.actor.member


@blp.route("")
class Inbox(MethodView):
    @blp.response(200, InboxOut)
    def get(self):
        """The caller's notices, newest first, worded in the caller's language."""
        member = _member()
        try:
            limit = min(max(int(request.args.get("limit", 50)), 1), 200)
        except ValueError as exc:
            raise ApiError(422, "invalid", _("Some fields are not valid."),
                           errors={"limit": [_("Not a number.")]}) from exc
        cursor = request.args.get("cursor")
        before = parse_id(cursor) if cursor else None
        if cursor and before is None:
            raise ApiError(422, "invalid", _("Some fields are not valid."),
                           errors={"cursor": [_("Not a cursor from this list.")]})
        rows = inbox(member, limit=limit + 1, before=before)
        next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
        return {"items": rows[:limit], "next_cursor": next_cursor, "unread": unread_count(member)}


@blp.route("/read")
class MarkRead(MethodView):
    @blp.arguments(InboxReadIn)
    @blp.response(200, InboxReadOut)
    def post(self, body):
        """Mark notices read: the ones named in ``ids``, or all of them."""
        member = _member()
        marked = do_mark_read(member, body["ids"])
        return {"marked": marked, "unread": unread_count(member)}
