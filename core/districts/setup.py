from core.api.framework import api


def init_app(app):
    from core.districts import api as districts_api
    from core.districts import views

    app.register_blueprint(views.bp)
    api.register_blueprint(districts_api.blp)
