from datetime import timedelta


def init_app(app):
    from core.api.framework import api
    from core.notifications import api as notifications_api
    from core.notifications import kinds, tasks, views  # noqa: F401  (tasks registers them)

    app.config.setdefault("NOTIFICATIONS_BACKEND", "console")
    kinds.register()
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
