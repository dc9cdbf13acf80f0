"""The inbox page (residents and staff alike), and the unread count in the header."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.ids import parse_id
from core.notifications.actions import do_mark_read, inbox, text_of, unread_count
from core.web.community import community_blueprint

bp = community_blueprint("notifications", __name__, "/inbox")

PAGE = 30


@bp.get("/")
def index():
    member = g.actor.member
    if member is None:  # a district admin visiting: no inbox here
        abort(404)
    before = parse_id(request.args.get("before"))
    rows = inbox(member, limit=PAGE + 1, before=before)
    more = rows[PAGE].id if len(rows) > PAGE else None
    rows = rows[:PAGE]
    # the id of the last shown notice, for the next page
    next_before = rows[-1].id if more else None
    return render_template("core/inbox.html", notices=[(n, text_of(n)) for n in rows],
                           unread=unread_count(member), next_before=next_before)


@bp.post("/read")
def mark_read():
    member = g.actor.member
    if member is None:
        abort(404)
    count = do_mark_read(member)
    if count:
        flash(_("All messages marked as read."), "success")
    return redirect(url_for("notifications.index"))


def inbox_badge():
    """For the header: ``{"url", "count"}`` when the reader has an inbox here, else None.
    Called from the template, so pages that never show the header pay nothing."""
    actor = getattr(g, "actor", None)
    member = getattr(actor, "member", None)
    if member is None or getattr(g, "community", None) is None:
        return None
    try:
        url = url_for("notifications.index", community=g.community.slug)
    except Exception:  # outside a community page
        return None
    return {"url": url, "count": unread_count(member)}
