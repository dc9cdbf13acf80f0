"""Wires rules, awards, claims and the record card into the app."""

import os

from flask_babel import gettext as _

from core.identity.models import Role
from core.web.community import ActionTile, register_action


def tiles(actor) -> list[ActionTile]:
    from flask import url_for

    from tenants.rules.queries import pending_count

    items = []
    if actor.member is not None:
        items += [
            ActionTile(_("My record card"), url_for("records.my_card"), 10),
            ActionTile(_("Claim points for a good deed"), url_for("claims.new"), 20),
            ActionTile(_("My claims"), url_for("claims.mine"), 25),
        ]
    if actor.can(Role.GRID_WORKER):
        waiting = pending_count(actor.community.id)
        queue = _("Claims to check (%(num)d)", num=waiting) if waiting else _("Claims to check")
        items += [
            ActionTile(_("Award points"), url_for("rules.award"), 30),
            ActionTile(queue, url_for("claims.queue"), 35),
            ActionTile(_("Members"), url_for("rules.member_list"), 40),
        ]
    label = _("Manage rules") if actor.can(Role.ADMIN) else _("How to earn points")
    items.append(ActionTile(label, url_for("rules.rule_list"), 60))
    return items


def init_app(app):
    # The idempotency table must be in the metadata when the schema is built; core imports
    # its module only inside @idempotent.
    from core.api import idempotency  # noqa: F401
    from core.api.framework import api
    from core.demo import demo_step
    from core.districts.actions import on_community_created
    from tenants.rules import api as rules_api
    from tenants.rules import card_views, claim_views, demo, models, views  # noqa: F401
    from tenants.rules.actions import copy_templates

    app.config.setdefault("UPLOAD_FOLDER", os.path.join(app.instance_path, "uploads"))
    app.register_blueprint(views.bp)
    app.register_blueprint(claim_views.bp)
    app.register_blueprint(card_views.bp)
    api.register_blueprint(rules_api.rules_api)
    api.register_blueprint(rules_api.awards_api)
    api.register_blueprint(rules_api.claims_api)
    if copy_templates not in _registered:
        on_community_created(copy_templates)
        demo_step(demo.load)
        register_action(tiles)
        _registered.append(copy_templates)


# Tests create several apps in one process: the module-level registries take each hook once.
_registered = []
