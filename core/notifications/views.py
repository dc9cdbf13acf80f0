from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from core.notifications.actions import do_mark_read, inbox, text_of
from core.web.community import community_blueprint

bp = community_blueprint("notifications", __name__, "/inbox")


@bp.get("/")
def index():
    member = g.actor.member
    if member is None:
        abort(404)
    notices = [(n, text_of(n)) for n in inbox(member)]
    return render_template("core/inbox.html", notices=notices)


@bp.post("/read")
def mark_read():
    member = g.actor.member
    if member is None:
        abort(404)
    if do_mark_read(member):
        flash(_("Marked as read."), "success")
    return redirect(url_for("notifications.index"))
