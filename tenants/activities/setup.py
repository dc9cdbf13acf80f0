from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _

from core.web.community import ActionTile, register_action


def activity_tiles(actor) -> list[ActionTile]:
    return [ActionTile(_("Volunteer activities"), url_for("activities.index"), order=30)]


def init_app(app):
    from core.api.framework import api
    from tenants.activities import api as activities_api
    from tenants.activities import kinds, tasks, views  # noqa: F401  (tasks registers them)

    kinds.register()
    register_action(activity_tiles)
    app.register_blueprint(views.bp)
    api.register_blueprint(activities_api.blp)
    celery = app.extensions["celery"]
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "activities-check-out-ended": {"task": "activities.check_out_ended",
                                       "schedule": timedelta(minutes=5)},
    }
