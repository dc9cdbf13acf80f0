"""Demo data for the marketplace (``linli demo``): the two demo merchants partner with demo
communities and publish offers; 老张面馆 gets a counter login."""

from datetime import timedelta

from sqlalchemy import select

from core.demo import DEMO_PASSWORD
from core.extensions import db
from core.identity.models import Role
from core.tenancy.access import Actor
from core.tenancy.context import use_community, use_merchant
from core.types import utcnow
from merchants.partners.access import MerchantActor
from merchants.partners.models import Merchant, MerchantRole, MerchantUser

# merchant slug -> (communities, point value in fen)
PARTNERS = {
    "laozhang-noodles": (("xinhua", "wuyi"), 10),
    "kangjian-pharmacy": (("wuyi", "shuijing"), 10),
}


def community_admin(community, user) -> Actor:
    return Actor(user, community, None, Role.ADMIN)


def owner_of(merchant: Merchant) -> MerchantActor:
    grant = db.session.scalar(select(MerchantUser).where(
        MerchantUser.merchant_id == merchant.id, MerchantUser.role == MerchantRole.OWNER))
    return MerchantActor(grant.user, merchant, MerchantRole.OWNER)


def load_demo_market(ctx) -> None:
    from merchants.offers.actions import do_create_offer
    from merchants.partners.actions import do_add_staff, do_partner

    admin = ctx["users"]["admin"]
    merchants = {m.slug: m for m in db.session.scalars(
        select(Merchant).where(Merchant.slug.in_(list(PARTNERS))))}
    if len(merchants) != len(PARTNERS):
        return
    for slug, (communities, value) in PARTNERS.items():
        for name in communities:
            community = ctx["communities"].get(name)
            if community is None:
                continue
            with use_community(community.id):
                do_partner(community_admin(community, admin), merchants[slug], value)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    noodles = owner_of(merchants["laozhang-noodles"])
    pharmacy = owner_of(merchants["kangjian-pharmacy"])
    c = ctx["communities"]
    with use_merchant(noodles.merchant.id):
        do_create_offer(
            noodles, [c["xinhua"], c["wuyi"]], title="午餐八折券", kind="voucher", points=100,
            terms="堂食午餐（11:00-14:00）八折，每桌一张，不与其他优惠同用。",
            valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=90),
            quantity=200, per_member_limit=2, cancellable=True, refund_on_expiry=True,
        )
        do_add_staff(noodles, "laozhang-noodles-staff", DEMO_PASSWORD, "收银员小刘")
    ctx["logins"].append(("laozhang-noodles-staff", "merchant counter staff, laozhang-noodles"))
    with use_merchant(pharmacy.merchant.id):
        do_create_offer(
            pharmacy, [c["wuyi"], c["shuijing"]], title="家庭小药箱", kind="item", points=300,
            terms="含体温计、创可贴、碘伏棉签等常用物品。凭券到店领取。",
            market_price_minor=9900, offer_price_minor=6900, currency="CNY",
            valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=60),
            quantity=50, per_member_limit=1, cancellable=True, refund_on_expiry=True,
        )
