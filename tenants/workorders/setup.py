from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _

from core.web.assisted import register_assisted_action
from core.web.community import ActionTile, register_action


def order_tiles(actor) -> list[ActionTile]:
    if actor.member is None:
        return []
    return [ActionTile(_("Report something"), url_for("workorders.report"), order=40),
            ActionTile(_("Requests and reports"), url_for("workorders.index"), order=45)]


def assisted_report(actor, member) -> list[ActionTile]:
    """Staff who found a resident (card or search) can report something for them."""
    return [ActionTile(_("Report something for them"), url_for("workorders.report", reporter=member.id), order=40)]


def init_app(app):
    from core.api.framework import api
    from tenants.workorders import api as orders_api
    from tenants.workorders import kinds, tasks, views  # noqa: F401  (tasks registers them)

    kinds.register()
    register_action(order_tiles)
    register_assisted_action(assisted_report)
    app.register_blueprint(views.bp)
    api.register_blueprint(orders_api.blp)
    celery = app.extensions["celery"]
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "workorders-auto-close": {"task": "workorders.auto_close", "schedule": timedelta(hours=1)},
        "workorders-escalate": {"task": "workorders.escalate_overdue", "schedule": timedelta(minutes=15)},
    }
