"""Routes the test app adds on purpose (``EXTRA_CAPABILITIES`` in tests/conftest.py): pages that
fail, to test the error pages. Their endpoints start with ``_test``; the cross-tenant harness
skips them."""

from flask import Blueprint, abort

from core.identity.models import Role
from core.web.community import community_blueprint, require_role

bp = Blueprint("_test", __name__, url_prefix="/_test")
community = community_blueprint("_test_community", __name__, "/_test")


class Boom(RuntimeError):
    pass


@bp.get("/boom")
def boom():
    raise Boom("secret detail that must not reach the page")


@bp.get("/forbidden")
def forbidden():
    abort(403)


@community.get("/admins-only")
def admins_only():
    require_role(Role.ADMIN)
    return "for admins"


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(community)
    # an API path that fails: answered as problem+json by the API's error handling
    app.add_url_rule("/api/v1/_test/boom", "_test_api_boom", boom)
