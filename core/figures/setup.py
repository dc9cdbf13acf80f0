"""Figures: the registry that capabilities plug their numbers into, core's own figures
(members, activity, the ledger), and the roll-up task behind them."""


def init_app(app):
    from core.figures import models, tasks  # noqa: F401  (tables in the metadata; the task)
    from core.figures.core_figures import register_core_figures

    register_core_figures()
    celery = app.extensions.get("celery")
    if celery is not None:
        celery.conf.beat_schedule = {**(celery.conf.beat_schedule or {}), **tasks.BEAT_SCHEDULE}
