from celery.schedules import crontab

from core.identity.balances import register_balance_source

# Daily, at a quiet hour: points that fell due during the day expire at the next run.
EXPIRY_SCHEDULE = crontab(hour=3, minute=0)


def init_app(app):
    from core.api.framework import api
    from core.ledger import (
        guards,  # noqa: F401  (registers the append-only guard)
        tasks,
    )
    from core.ledger.api import blp
    from core.ledger.cli import ledger_cli
    from core.ledger.queries import balance

    register_balance_source(balance)
    app.cli.add_command(ledger_cli)
    api.register_blueprint(blp)
    celery = app.extensions["celery"]
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "ledger-expire-points": {"task": tasks.EXPIRE_ALL, "schedule": EXPIRY_SCHEDULE},
    }
