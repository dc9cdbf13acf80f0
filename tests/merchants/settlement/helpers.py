"""Helpers for settlement tests: vouchers redeemed at a chosen moment (through the real claim
and counter actions), offers valid then, and statements found by month."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member, Role, User
from core.ledger import actions as ledger
from core.tenancy.access import Actor
from core.tenancy.context import use_community, use_merchant
from core.tenancy.models import Community
from core.transactions import atomic
from merchants.partners.access import MerchantActor, enter_merchant
from merchants.partners.models import Merchant, MerchantRole, MerchantUser


def at(text: str) -> datetime:
    """``"2024-03-10 12:00"`` (UTC) -> an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def owner_actor(merchant_id) -> MerchantActor:
    merchant = db.session.get(Merchant, merchant_id)
    grant = db.session.scalar(select(MerchantUser).where(
        MerchantUser.merchant_id == merchant.id, MerchantUser.role == MerchantRole.OWNER))
    return MerchantActor(grant.user, merchant, MerchantRole.OWNER)


def make_offer(merchant_id, community_ids, *, points, title="Settlement offer",
               valid_from=None, valid_until=None, quantity=1000):
    from merchants.offers.actions import do_create_offer

    actor = owner_actor(merchant_id)
    with use_merchant(merchant_id):
        offer = do_create_offer(
            actor, [db.session.get(Community, c) for c in community_ids], title=title, kind="voucher",
            points=points, quantity=quantity, per_member_limit=None,
            valid_from=valid_from or at("2000-01-01 00:00"), valid_until=valid_until or at("2099-01-01 00:00"))
        return offer.id


def redeem_at(community_id, member_id, offer_id, when: datetime, *, merchant_login=None):
    """A resident claims the offer an hour before ``when`` and the merchant redeems it at
    ``when``; returns the counter's ``Redemption`` (``settlement_month`` on it)."""
    from merchants.offers.models import Offer
    from merchants.vouchers.actions import do_claim_voucher, do_redeem_voucher

    with use_community(community_id):
        community = db.session.get(Community, community_id)
        member = db.session.scalar(select(Member).where(Member.id == member_id))
        offer = db.session.get(Offer, offer_id)
        with atomic():
            ledger.award(community, member, offer.points, reason="settlement test points")
        claimed = do_claim_voucher(Actor(member.user, community, member, Role.RESIDENT), offer, member,
                                   now=when - timedelta(hours=1))
        merchant_id, code = offer.merchant_id, claimed.code
    merchant = db.session.get(Merchant, merchant_id)
    with use_merchant(merchant_id):
        login = merchant_login or owner_actor(merchant_id).user.login
        user = db.session.scalar(select(User).where(User.login == login))
        actor = enter_merchant(merchant.slug, user)
        return do_redeem_voucher(actor, code, now=when)


def set_point_value(community_id, merchant_id, value_minor):
    from merchants.partners.actions import do_set_terms
    from merchants.partners.models import Partnership

    with use_community(community_id):
        community = db.session.get(Community, community_id)
        admin = db.session.scalar(select(Member).where(Member.role == Role.ADMIN))
        row = db.session.scalar(select(Partnership).where(Partnership.merchant_id == merchant_id))
        do_set_terms(Actor(admin.user, community, admin, Role.ADMIN), row, value_minor)


def new_community(world, slug, *, timezone="Asia/Shanghai", currency="CNY", partners=()):
    """A community of its own in d1 with a resident (``<slug>_res``) and partnerships
    ``[(merchant name, point value minor)]``; returns ``(community_id, member_id)``."""
    from core.districts.actions import do_create_community
    from core.identity.actions import do_add_member, do_create_user
    from core.tenancy.models import District
    from merchants.partners.actions import do_partner
    from tests.world import PASSWORD

    platform = db.session.get(User, world.ids["user:platform"])
    district = db.session.get(District, world.ids["d1"])
    community = do_create_community(district, slug=slug, name=f"Community {slug}", timezone=timezone,
                                    currency=currency, actor=platform,
                                    admin={"login": f"{slug}_admin", "password": PASSWORD, "name": f"{slug} admin"})
    admin = db.session.scalar(select(User).where(User.login == f"{slug}_admin"))
    with use_community(community.id):
        for m, value in partners:
            do_partner(Actor(admin, community, None, Role.ADMIN), db.session.get(Merchant, world.ids[m]), value)
        with atomic():
            user = do_create_user(f"{slug}_res", PASSWORD, f"{slug} resident")
            member = do_add_member(community, user, Role.RESIDENT)
        return community.id, member.id


def statements_of(community_id, month):
    from core.tenancy.context import all_communities
    from merchants.settlement.models import Statement

    with all_communities():
        return {(s.merchant_id, s.currency): s for s in db.session.scalars(select(Statement).where(
            Statement.community_id == community_id, Statement.month == month))}


def lines_of(statement_id):
    from core.tenancy.context import all_communities
    from merchants.settlement.models import StatementLine

    with all_communities():
        return list(db.session.scalars(select(StatementLine).where(StatementLine.statement_id == statement_id)))
