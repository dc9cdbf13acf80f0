from datetime import timedelta

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
    from core.api.framework import api
    from core.notifications import api as notifications_api
    from core.notifications import kinds, tasks, views  # noqa: F401  (tasks registers them)

    app.config.setdefault("NOTIFICATIONS_BACKEND", "console")
    kinds.register()
    register_action(inbox_tile)
    app.register_blueprint(views.bp)
    api.register_blueprint(notifications_api.blp)
    app.jinja_env.globals["inbox_badge"] = views.inbox_badge
    celery = app.extensions["celery"]
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "notifications-sweep-outbox": {"task": "notifications.sweep_outbox",
                                       "schedule": timedelta(minutes=5)},
        "notifications-warn-expiring": {"task": "notifications.warn_expiring_points",
                                        "schedule": timedelta(days=1)},
    }
