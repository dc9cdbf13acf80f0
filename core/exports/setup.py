def init_app(app):
    from core.exports import models, tasks, views  # noqa: F401

    app.register_blueprint(views.bp)
