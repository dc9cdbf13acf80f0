from datetime import datetime

from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from core.demo import demo_step
from core.identity.models import Role
from core.web.assisted import register_assisted_action
from core.web.community import ActionTile, register_action

# The demo shelf of every demo community (DOMAIN.md): name, category, points, stock.
DEMO_ITEMS = [
    ("酱油", "调味品", 3, 40),
    ("洗衣液", "日用品", 6, 25),
    ("大米 5斤", "粮油", 15, 20),
    ("食用油 5升", "粮油", 40, 8),
]


def shop_tiles(actor) -> list[ActionTile]:
    tiles = [ActionTile(_("Points shop"), url_for("shop.index"), order=20)]
    if actor.member is not None:
        tiles.append(ActionTile(_("My orders"), url_for("shop.my_orders"), order=21))
    if actor.can(Role.GRID_WORKER):
        tiles.append(ActionTile(_("Shop counter"), url_for("shop.counter"), order=60))
    if actor.can(Role.ADMIN):
        tiles.append(ActionTile(_("Shop settings"), url_for("shop.manage"), order=80))
    return tiles


def assisted_shop(actor, member) -> list[ActionTile]:
    if not actor.can(Role.GRID_WORKER):
        return []
    return [ActionTile(_("Order from the shop"), url_for("shop.order_for", member_id=member.id), order=10)]


def _closing_text(params) -> str:
    closes = datetime.fromisoformat(params["closes_at"])
    return _("The points shop closes at %(when)s. Collect your order or spend your points before then.",
             when=format_datetime(closes, "short"))


def _expired_text(params) -> str:
    return _("Your order of %(item)s × %(quantity)d was not collected in time; "
             "%(points)d points were returned.", **params)


def load_demo_items(ctx) -> None:
    from core.tenancy.context import use_community
    from tenants.shop.actions import do_create_item

    for community in ctx["communities"].values():
        with use_community(community.id):
            for name, category, points, stock in DEMO_ITEMS:
                do_create_item(community, name=name, category=category, points=points, stock=stock,
                               actor=ctx["users"]["admin"])


def init_app(app):
    from core.api.framework import api
    from core.notifications.actions import register_kind
    from tenants.shop import api as shop_api
    from tenants.shop import views
    from tenants.shop.tasks import BEAT_SCHEDULE

    register_action(shop_tiles)
    register_assisted_action(assisted_shop)
    register_kind("shop.window_closing", _closing_text)
    register_kind("shop.order_expired", _expired_text)
    if load_demo_items not in _registered:
        demo_step(load_demo_items)
        _registered.append(load_demo_items)
    celery = app.extensions.get("celery")
    if celery is not None:
        celery.conf.beat_schedule = {**(celery.conf.beat_schedule or {}), **BEAT_SCHEDULE}
    app.register_blueprint(views.bp)
    api.register_blueprint(shop_api.blp)


_registered = []
