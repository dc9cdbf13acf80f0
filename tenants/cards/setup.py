from flask import url_for
from flask_babel import gettext as _

from core.identity.models import Role
from core.web.community import ActionTile, register_action


def card_tiles(actor) -> list[ActionTile]:
    tiles = []
    if actor.member is not None:
        tiles.append(ActionTile(_("My resident card"), url_for("cards.my_card"), order=85))
    if actor.can(Role.GRID_WORKER):
        tiles.append(ActionTile(_("Help a resident (scan card)"), url_for("cards.assist"), order=55))
        tiles.append(ActionTile(_("Print resident cards"), url_for("cards.print_cards"), order=75))
    return tiles


def init_app(app):
    from tenants.cards import models  # noqa: F401  (the table)
    from tenants.cards.views import bp

    register_action(card_tiles)
    app.register_blueprint(bp)
