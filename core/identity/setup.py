from core.api.framework import api
from core.identity import loader


def init_app(app):
    from core.identity import api as identity_api
    from core.identity import views

    loader.init_app(app)
    app.register_blueprint(views.bp)
    api.register_blueprint(identity_api.tokens)
    api.register_blueprint(identity_api.members)
