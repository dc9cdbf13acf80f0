"""The marketplace in the test world: m1 partners c1 and c2, m2 partners c2
(``world.extra["m1_partners"]``), each with offers:

- ``offer:m1_meal``: a voucher at m1 for c1 and c2, 100 points, 50 of them, 2 per resident;
- ``offer:m1_kit``: an item at m1 for c1 only, 30 points;
- ``offer:m2_tea``: a voucher at m2 for c2, 20 points.

``<c>_green`` holds one voucher (``voucher:c1`` of m1_kit, ``voucher:c2`` of m2_tea), and
``world.extra["url_args"][<c>]`` names, for the cross-tenant harness, an offer open to that
community only, that voucher, and a merchant user (``staff_id``).
"""

from datetime import timedelta

from tests.world import world_step

POINT_VALUE = {"m1": 10, "m2": 20}  # fen per point


@world_step
def marketplace(w):
    from sqlalchemy import select

    from core.extensions import db
    from core.identity.models import Role, User
    from core.tenancy.access import Actor
    from core.tenancy.context import use_community, use_merchant
    from core.tenancy.models import Community
    from core.types import utcnow
    from merchants.offers.actions import do_create_offer
    from merchants.partners.access import MerchantActor
    from merchants.partners.actions import do_partner
    from merchants.partners.models import Merchant, MerchantRole

    for m in ("m1", "m2"):
        merchant = db.session.get(Merchant, w.ids[m])
        for c in w.extra[f"{m}_partners"]:
            community = db.session.get(Community, w.ids[c])
            admin = db.session.get(User, w.ids[f"user:{c}_admin"])
            with use_community(community.id):
                do_partner(Actor(admin, community, None, Role.ADMIN), merchant, POINT_VALUE[m])
    now = utcnow()
    offers = {
        "m1_meal": ("m1", ("c1", "c2"), dict(title="Meal 20% off", kind="voucher", points=100,
                                             quantity=50, per_member_limit=2, terms="Lunch only.")),
        "m1_kit": ("m1", ("c1",), dict(title="Medicine kit", kind="item", points=30, quantity=20,
                                       per_member_limit=1, market_price_minor=9900,
                                       offer_price_minor=6900, currency="CNY")),
        "m2_tea": ("m2", ("c2",), dict(title="Tea for two", kind="voucher", points=20, quantity=10,
                                       per_member_limit=1)),
    }
    for name, (m, communities, values) in offers.items():
        merchant = db.session.get(Merchant, w.ids[m])
        owner = db.session.scalar(select(User).where(User.login == f"{m}_owner"))
        actor = MerchantActor(owner, merchant, MerchantRole.OWNER)
        with use_merchant(merchant.id):
            offer = do_create_offer(
                actor, [db.session.get(Community, w.ids[c]) for c in communities],
                valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=30), **values)
        w.ids[f"offer:{name}"] = offer.id

    from core.identity.models import Member
    from core.ledger import actions as ledger
    from core.tenancy.access import Actor as CommunityActor
    from core.transactions import atomic
    from merchants.offers.models import Offer
    from merchants.vouchers.actions import do_claim_voucher

    url_args = w.extra.setdefault("url_args", {})
    for c, offer_name, staff in (("c1", "m1_kit", "m1_staff"), ("c2", "m2_tea", "m2_owner")):
        community = db.session.get(Community, w.ids[c])
        with use_community(community.id):
            green = db.session.scalar(select(Member).where(Member.id == w.member_id(f"{c}_green")))
            offer = db.session.get(Offer, w.ids[f"offer:{offer_name}"])
            with atomic():
                ledger.award(community, green, offer.points, reason="world points")
            claimed = do_claim_voucher(CommunityActor(green.user, community, green, Role.RESIDENT), offer, green)
            w.ids[f"voucher:{c}"] = claimed.voucher.id
        url_args.setdefault(c, {}).update({
            "offer_id": w.ids[f"offer:{offer_name}"], "voucher_id": w.ids[f"voucher:{c}"],
            "staff_id": w.ids[f"user:{staff}"],
        })
