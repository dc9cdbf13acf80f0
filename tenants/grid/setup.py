from flask import url_for
from flask_babel import gettext as _

from core.identity.models import Role
from core.web.community import ActionTile, register_action


def grid_tiles(actor) -> list[ActionTile]:
    if not actor.can(Role.GRID_WORKER):
        return []
    return [ActionTile(_("Grids and teams"), url_for("grid.grids"), order=80)]


def init_app(app):
    from core.api.framework import api
    from tenants.grid import api as grid_api
    from tenants.grid import views

    register_action(grid_tiles)
    app.register_blueprint(views.bp)
    api.register_blueprint(grid_api.blp)
