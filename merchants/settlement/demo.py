"""Demo data for settlement (``linli demo``): 老张面馆 redeemed vouchers for 新华社区's residents
in each of the last two months. Both months are closed: the older statement went the whole
way (confirmed, approved, paid by bank transfer, closed); last month's waits for the merchant
to check it, so ``make run`` shows the workflow from its start."""

from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member, Role
from core.ledger import actions as ledger
from core.tenancy.access import Actor
from core.tenancy.context import use_community, use_merchant
from core.transactions import atomic
from core.types import utcnow
from merchants.partners.access import enter_merchant
from merchants.partners.models import Merchant


def _redeem(community, merchant, offer, user, when):
    from merchants.vouchers.actions import do_claim_voucher, do_redeem_voucher

    with use_community(community.id):
        member = db.session.scalar(select(Member).where(Member.user_id == user.id))
        with atomic():
            ledger.award(community, member, offer.points, reason="社区志愿服务")
        claimed = do_claim_voucher(Actor(member.user, community, member, Role.RESIDENT), offer, member,
                                   now=when - timedelta(hours=2))
    with use_merchant(merchant.id):
        from merchants.demo import owner_of

        actor = enter_merchant(merchant.slug, owner_of(merchant).user)
        do_redeem_voucher(actor, claimed.code, now=when)


def load_demo_settlement(ctx) -> None:
    from merchants.demo import owner_of
    from merchants.offers.actions import do_create_offer
    from merchants.settlement import actions
    from merchants.settlement.closing import do_close_community_month
    from merchants.settlement.models import Statement
    from merchants.settlement.periods import month_of, month_start, previous_month

    community = ctx["communities"].get("xinhua")
    merchant = db.session.scalar(select(Merchant).where(Merchant.slug == "laozhang-noodles"))
    if community is None or merchant is None:
        return
    last = previous_month(month_of(utcnow(), community.timezone))
    before = previous_month(last)
    start = month_start(before, community.timezone)
    owner = owner_of(merchant)
    with use_merchant(merchant.id):
        offer = do_create_offer(owner, [community], title="午餐八折券（上月活动）", kind="voucher", points=100,
                                valid_from=start, valid_until=month_start(month_of(utcnow(), community.timezone),
                                                                          community.timezone),
                                quantity=50, per_member_limit=None, terms="堂食午餐八折。")
    for month, days, logins in ((before, (5, 18), ("xinhua-red", "xinhua-blue")),
                                (last, (3, 12, 21), ("xinhua-red", "xinhua-green", "xinhua-blue"))):
        for day, login in zip(days, logins, strict=True):
            _redeem(community, merchant, offer, ctx["users"][login],
                    month_start(month, community.timezone) + timedelta(days=day - 1, hours=12))
        do_close_community_month(community.id, month)
    admin = Actor(ctx["users"]["admin"], community, None, Role.ADMIN)
    with use_community(community.id):
        statement = db.session.scalar(select(Statement).where(
            Statement.merchant_id == merchant.id, Statement.month == before))
        with use_merchant(merchant.id):
            actions.do_confirm(owner, statement)
        actions.do_approve(admin, statement)
        actions.do_record_payment(admin, statement, "offline", f"工商银行转账 {before}-01")
        actions.do_close_statement(admin, statement)
