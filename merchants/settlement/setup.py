from celery.schedules import crontab

# Every quarter of an hour: each community's month closes from 02:00 on the 1st of its own
# time zone (merchants.settlement.tasks explains why beat cannot do that directly).
CLOSE_SCHEDULE = crontab(minute="*/15")


_registered = []


def init_app(app):
    from core.demo import demo_step
    from merchants.settlement.demo import load_demo_settlement

    if load_demo_settlement not in _registered:
        demo_step(load_demo_settlement)
        _registered.append(load_demo_settlement)
    from core.api.framework import api
    from core.web.community import register_action
    from merchants.settlement import api as settlement_api
    from merchants.settlement import tasks, views
    from merchants.settlement.cli import settlements_cli

    app.register_blueprint(views.merchant_bp)
    app.register_blueprint(views.community_bp)
    register_action(views.statement_tiles)
    api.register_blueprint(settlement_api.merchant_side)
    api.register_blueprint(settlement_api.community_side)
    api.register_blueprint(settlement_api.platform)
    app.cli.add_command(settlements_cli)
    celery = app.extensions["celery"]
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "settlement-close-months": {"task": tasks.CLOSE_DUE, "schedule": CLOSE_SCHEDULE},
    }
