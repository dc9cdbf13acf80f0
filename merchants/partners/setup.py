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
    rows = db.session.execute(
        select(Merchant).join(MerchantUser, MerchantUser.merchant_id == Merchant.id)
        .where(MerchantUser.user_id == user.id).order_by(Merchant.name)
    ).scalars()
    return [Place("merchant", m.name, url_for("merchant.home", merchant=m.slug)) for m in rows]


def load_demo_merchants(ctx) -> None:
    from merchants.partners.actions import do_create_merchant

    for slug, name, category, address in DEMO_MERCHANTS:
        login = f"{slug}-owner"
        do_create_merchant(slug, name, {"login": login, "password": DEMO_PASSWORD, "name": f"{name}店主"},
                           ctx["users"]["admin"], category=category, address=address)
        ctx["logins"].append((login, f"merchant owner, {slug}"))


def init_app(app):
    from merchants.partners import views

    register_places(merchant_places)
    if load_demo_merchants not in _registered:
        demo_step(load_demo_merchants)
        _registered.append(load_demo_merchants)
    app.register_blueprint(views.bp)


_registered = []
