"""Recognition: leaderboards, medals, stars, the honour roll and the quarterly review."""

from flask import url_for
from flask_babel import gettext as _

from core.identity.models import Role
from core.web.community import ActionTile, register_action


def tiles(actor) -> list[ActionTile]:
    items = [ActionTile(_("Leaderboard"), url_for("recognition.leaderboard"), order=45)]
    if actor.can(Role.GRID_WORKER):
        items += [ActionTile(_("Grid workers' medals"), url_for("recognition.grid_workers"), order=70),
                  ActionTile(_("Integrity stars"), url_for("recognition.stars"), order=71)]
    if actor.can(Role.ADMIN):
        items += [ActionTile(_("Honour roll"), url_for("recognition.honour_roll"), order=85),
                  ActionTile(_("Quarterly review"), url_for("recognition.review"), order=86)]
    return items


def district_links(district) -> list[tuple[str, str]]:
    return [(_("Recognition rules"), url_for("district_recognition.district_settings", district=district.slug))]


def init_app(app):
    from core.districts.views import register_district_link
    from tenants.recognition import models, views  # noqa: F401
    from tenants.recognition.metrics import register_builtins

    register_builtins()
    app.register_blueprint(views.bp)
    app.register_blueprint(views.district_bp)
    register_action(tiles)
    register_district_link(district_links)
