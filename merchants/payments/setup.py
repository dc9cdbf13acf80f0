def init_app(app):
    from core.payments.gateway import register_destination_lookup
    from core.payments.webhooks import on_event
    from merchants.payments import actions, models, views  # noqa: F401

    register_destination_lookup(actions.destination)
    on_event("account.updated")(actions.apply_account_updated)
    app.register_blueprint(views.bp)
