from flask import url_for
from flask_babel import gettext as _

from core.web.community import ActionTile, register_action


def inbox_tile(actor) -> list[ActionTile]:
    from core.notifications.actions import unread_count

    if actor.member is None:
        return []
    unread = unread_count(actor.member)
    label = _("Messages (%(count)d new)", count=unread) if unread else _("Messages")
    return [ActionTile(label, url_for("notifications.index"), order=90)]


def init_app(app):
    from core.notifications import models  # noqa: F401  (the table)
    from core.notifications.views import bp

    register_action(inbox_tile)
    app.register_blueprint(bp)
