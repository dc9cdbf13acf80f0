def init_app(app):
    from core.api.framework import api
    from core.web.community import register_action
    from merchants.vouchers import api as vouchers_api
    from merchants.vouchers import tasks, views

    app.register_blueprint(views.counter_bp)
    app.register_blueprint(views.resident_bp)
    register_action(views.voucher_tiles)
    api.register_blueprint(vouchers_api.claims)
    api.register_blueprint(vouchers_api.community_vouchers)
    api.register_blueprint(vouchers_api.redemptions)
    # Expire vouchers nobody redeemed, every hour (Celery beat; see deploy/).
    celery = app.extensions["celery"]
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        "expire-vouchers": {"task": tasks.expire_due.name, "schedule": 3600.0},
    }
