from flask import url_for
from sqlalchemy import select

from core.demo import DEMO_PASSWORD, demo_step
from core.extensions import db
from core.web.landing import Place, register_places
from merchants.partners.models import Merchant, MerchantUser

DEMO_MERCHANTS = [
    ("laozhang-noodles", "老张面馆", "餐饮", "和平街道新华路12号"),
    ("kangjian-pharmacy", "康健大药房", "药店", "锦江区水井街8号"),
]


def merchant_places(user) -> list[Place]:
    from flask_babel import gettext as _

    from merchants.partners.api import may_admit_merchants

    rows = db.session.execute(
        select(Merchant).join(MerchantUser, MerchantUser.merchant_id == Merchant.id)
        .where(MerchantUser.user_id == user.id).order_by(Merchant.name)
    ).scalars()
    places = [Place("merchant", m.name, url_for("merchant.home", merchant=m.slug)) for m in rows]
    if may_admit_merchants(user):
        places.append(Place("merchant-admin", _("Merchants"), url_for("merchant_admin.review")))
    return places


def load_demo_merchants(ctx) -> None:
    from merchants.partners.actions import do_create_merchant

    for slug, name, category, address in DEMO_MERCHANTS:
        login = f"{slug}-owner"
        do_create_merchant(slug, name, {"login": login, "password": DEMO_PASSWORD, "name": f"{name}店主"},
                           ctx["users"]["admin"], category=category, address=address,
                           opening_hours="10:00-21:00")
        ctx["logins"].append((login, f"merchant owner, {slug}"))


def init_app(app):
    from core.api.framework import api
    from merchants.partners import admin_views, community_views, views
    from merchants.partners import api as partners_api

    register_places(merchant_places)
    app.jinja_env.filters["money"] = _money_filter
    app.jinja_env.filters["amount"] = _amount_filter
    if load_demo_merchants not in _registered:
        demo_step(load_demo_merchants)
        _registered.append(load_demo_merchants)
    app.register_blueprint(views.bp)
    app.register_blueprint(community_views.bp)
    app.register_blueprint(admin_views.bp)
    api.register_blueprint(partners_api.merchants)
    api.register_blueprint(partners_api.own)
    api.register_blueprint(partners_api.community_partners)


def _money_filter(minor, currency="CNY"):
    from flask_babel import get_locale

    from merchants.money import display

    return display(minor, currency, str(get_locale() or "zh_Hans_CN"))


def _amount_filter(minor, currency="CNY"):
    from merchants.money import amount_text

    return amount_text(minor, currency)


_registered = []
