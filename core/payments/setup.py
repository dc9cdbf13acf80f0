def init_app(app):
    from core.extensions import csrf
    from core.payments import models, webhooks  # noqa: F401  (models: processed events)

    app.register_blueprint(webhooks.bp)
    csrf.exempt(webhooks.bp)  # Stripe signs its requests; there is no session to forge
