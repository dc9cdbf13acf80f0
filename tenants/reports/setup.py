"""Dashboards for communities and districts, their spreadsheets, and the figures API."""

from flask import url_for
from flask_babel import gettext as _

from core.identity.models import Role
from core.web.community import ActionTile, register_action


def tiles(actor) -> list[ActionTile]:
    if not actor.can(Role.ADMIN):
        return []
    return [ActionTile(_("Dashboard"), url_for("reports.community_dashboard"), order=5)]


def district_links(district) -> list[tuple[str, str]]:
    return [(_("Dashboard: every community's figures"),
             url_for("district_reports.district_dashboard", district=district.slug))]


def init_app(app):
    from core.api.framework import api
    from core.districts.views import register_district_link
    from tenants.reports import api as reports_api
    from tenants.reports import exports, views, workorder_figures

    app.register_blueprint(views.community_bp)
    app.register_blueprint(views.district_bp)
    api.register_blueprint(reports_api.blp)
    exports.register()
    workorder_figures.register()
    register_action(tiles)
    register_district_link(district_links)
