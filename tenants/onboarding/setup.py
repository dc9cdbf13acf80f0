"""Onboarding: the wizard, the district's templates, invitation links, resident imports."""

from flask import url_for
from flask_babel import gettext as _


def district_links(district) -> list[tuple[str, str]]:
    return [
        (_("Onboard a community"), url_for("onboarding.index", district=district.slug)),
        (_("Rule templates"), url_for("onboarding.rule_templates_page", district=district.slug)),
        (_("Shop item templates"), url_for("onboarding.shop_templates", district=district.slug)),
    ]


def init_app(app):
    from core.districts.actions import on_community_created
    from core.districts.views import register_district_link
    from tenants.onboarding import models, rule_views, views  # noqa: F401  (rule_views adds routes)
    from tenants.onboarding.actions import copy_shop_templates

    app.register_blueprint(views.bp)
    app.register_blueprint(views.join_bp)
    register_district_link(district_links)
    from tenants.onboarding import grid_link, hooks
    from tenants.onboarding.queries import register_counter

    register_counter("rules", _rule_count)
    hooks.register_buildings(grid_link.buildings, grid_link.assign)
    hooks.register_checklist_item(merchants_partnered)
    if copy_shop_templates not in _registered:
        on_community_created(copy_shop_templates)
        _registered.append(copy_shop_templates)


# Tests build several apps in one process: the module-level hook registries take each once.
_registered = []


def _rule_count(community) -> int:
    from tenants.rules.queries import rules

    return len(rules(community.id, include_retired=False))


def merchants_partnered(community):
    """The checklist's last item, from the marketplace (merchants.figures)."""
    from merchants.figures import active_partnerships

    count = active_partnerships(community.id)
    return hooks_item("merchants", _("Merchants partnered"), count > 0,
                      _("%(n)d active partnerships", n=count),
                      url_for("community_partners.index", community=community.slug), 50)


def hooks_item(*args):
    from tenants.onboarding.hooks import ChecklistItem

    return ChecklistItem(*args)
