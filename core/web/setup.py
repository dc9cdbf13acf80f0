from core.tenancy.context import TenantScope, set_scope
from core.web import errors, input_guard, security
from core.web.community import community_actions


def init_app(app):
    from core.web import views

    # Worker threads serve many requests: every request starts with no tenant scope.
    # (An app-wide URL preprocessor runs before the blueprints' ones, which set the scope.)
    @app.url_value_preprocessor
    def _fresh_scope(_endpoint, _values):
        set_scope(TenantScope())

    input_guard.init_app(app)

    @app.teardown_request
    def _clear_scope(_exc):
        set_scope(TenantScope())

    app.register_blueprint(views.bp)
    app.register_blueprint(views.community)
    errors.init_app(app)
    app.jinja_env.globals["community_actions"] = community_actions
    security.init_app(app)
