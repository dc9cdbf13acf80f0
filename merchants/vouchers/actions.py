"""Claiming, cancelling, redeeming and expiring vouchers.

Concurrency, on PostgreSQL (READ COMMITTED) and on SQLite (writers serialised by
``BEGIN IMMEDIATE``):
- the points move through ``core.ledger.actions``, which locks the member's wallet first;
  the per-member limit is counted after that lock, so two claims by one member queue there
  and the second sees the first's voucher;
- stock is taken by a guarded ``UPDATE offers SET claimed = claimed + 1 WHERE claimed <
  quantity``: the row lock makes concurrent claims take turns, and the one that finds no
  stock changes nothing (rowcount 0) and its whole transaction, points included, rolls back;
- a voucher changes state only by a guarded ``UPDATE ... WHERE status = 'issued'`` with a
  rowcount check: of 20 simultaneous redemptions of one code exactly one succeeds.
Locks are always taken in the order wallet, partnership, offer, so claims cannot deadlock.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import Uuid, bindparam, func, select, update

from core.audit.actions import record
from core.driver_sql import DriverStatement
from core.extensions import db
from core.identity.models import Member
from core.ids import new_id
from core.ledger import actions as ledger
from core.ledger.actions import Cause, merchant_account
from core.loaded import as_loaded
from core.tenancy.models import Community
from core.transactions import atomic
from core.types import UTCDateTime, utcnow
from merchants.errors import MarketError
from merchants.offers.models import Offer, OfferStatus
from merchants.partners.models import Merchant, Partnership, PartnershipStatus
from merchants.settlement.periods import open_month_for_redemption
from merchants.vouchers import codes
from merchants.vouchers.models import Voucher, VoucherCode, VoucherSecret, VoucherStatus


def mask_name(name: str | None) -> str:
    """王阿姨 -> 王*姨: enough for the counter to greet someone, not to identify them."""
    chars = list((name or "").strip())
    if len(chars) <= 1:
        return "*"
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * min(len(chars) - 2, 3) + chars[-1]


def month_in(timezone: str, when: datetime) -> str:
    """The calendar month of ``when`` in the community's time zone: ``YYYY-MM``."""
    return when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


def _ledger_key(purpose: str, user_id, key: str | None) -> str | None:
    """The API's Idempotency-Key is per user; the ledger's is per community: name the user."""
    if not key:
        return None
    full = f"{purpose}:{user_id}:{key}"
    if len(full) > 200:
        import hashlib

        full = f"{purpose}:{user_id}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return full


# --- claiming -----------------------------------------------------------------------------


@dataclass
class Claimed:
    voucher: Voucher
    code: str  # normalised; ``codes.grouped`` for people
    replayed: bool = False


def _replay(community, ledger_key, member, offer) -> Claimed | None:
    previous = ledger.existing_transaction(community.id, ledger_key)
    if previous is None:
        return None
    voucher = db.session.scalar(select(Voucher).where(
        Voucher.community_id == community.id, Voucher.transaction_id == previous.id))
    if voucher is None or voucher.member_id != member.id or voucher.offer_id != offer.id:
        raise MarketError("idempotency_key_reused",
                          _("This Idempotency-Key was used with a different request."))
    return Claimed(voucher, voucher_code(voucher), replayed=True)


def _check_open(offer: Offer, community, now) -> Partnership:
    partnership = db.session.scalar(select(Partnership).where(
        Partnership.community_id == community.id, Partnership.merchant_id == offer.merchant_id))
    if partnership is None or partnership.status != PartnershipStatus.ACTIVE or not offer.merchant.is_active:
        raise MarketError("partnership_suspended",
                          _("This merchant is not taking vouchers from this community at the moment."))
    if offer.status == OfferStatus.PAUSED:
        raise MarketError("offer_paused", _("This offer is paused for now."))
    if offer.status != OfferStatus.PUBLISHED or now >= offer.valid_until:
        raise MarketError("offer_ended", _("This offer has ended."), status=410)
    if now < offer.valid_from:
        raise MarketError("offer_not_started",
                          _("This offer starts on %(date)s.", date=format_datetime(offer.valid_from, "short")))
    return partnership


def _sold_out():
    return MarketError("sold_out", _("Sorry, this offer is sold out."), status=410)


def _held(member, offer) -> int:
    return db.session.scalar(select(func.count()).select_from(Voucher).where(
        Voucher.community_id == member.community_id, Voucher.member_id == member.id,
        Voucher.offer_id == offer.id, Voucher.status != VoucherStatus.CANCELLED)) or 0


def _check_limit(member, offer) -> None:
    if offer.per_member_limit is not None and _held(member, offer) >= offer.per_member_limit:
        raise MarketError("limit_reached",
                          _("You already have %(n)d of this offer, the most one person may claim.",
                            n=offer.per_member_limit))


def _check_cap(partnership: Partnership, offer: Offer, month: str) -> None:
    """The community's monthly cap on what vouchers of this merchant may cost it."""
    if partnership.monthly_cap_minor is None:
        return
    db.session.execute(select(Partnership.id).where(
        Partnership.community_id == partnership.community_id, Partnership.id == partnership.id,
    ).with_for_update())
    used = db.session.scalar(select(func.coalesce(func.sum(Voucher.points), 0)).where(
        Voucher.community_id == partnership.community_id,
        Voucher.merchant_id == partnership.merchant_id,
        Voucher.claim_month == month, Voucher.status != VoucherStatus.CANCELLED)) or 0
    if (used + offer.points) * (partnership.point_value_minor or 0) > partnership.monthly_cap_minor:
        raise MarketError("cap_reached",
                          _("This merchant's vouchers have reached this month's limit for the community."))


def do_claim_voucher(actor, offer: Offer, member: Member, *, idempotency_key: str | None = None,
                     now: datetime | None = None) -> Claimed:
    """``member`` spends ``offer.points`` on a voucher (the member, or staff for them)."""
    community = actor.community
    now = now or utcnow()
    key = _ledger_key("claim", actor.user.id, idempotency_key)
    with atomic():
        if key and (replay := _replay(community, key, member, offer)):
            return replay
        partnership = _check_open(offer, community, now)
        if offer.claimed >= offer.quantity:  # cheap early answer; the UPDATE below decides
            raise _sold_out()
        _check_limit(member, offer)
        merchant = offer.merchant
        voucher_id = new_id()
        try:
            transaction = ledger.spend(
                community, member, offer.points,
                to=merchant_account(community.id, offer.merchant_id),
                reason=f"{offer.title} · {merchant.name}"[:200], actor=actor.user,
                cause=Cause("voucher", voucher_id), idempotency_key=key,
            )
        except ledger.InsufficientPoints as exc:
            raise MarketError(
                "insufficient_points",
                _("Not enough points: this needs %(needed)d, the balance is %(balance)d.",
                  needed=offer.points, balance=exc.details.get("balance", 0)),
                balance=exc.details.get("balance", 0), needed=offer.points,
            ) from exc
        except ledger.IdempotencyKeyReused:
            # the same key committed by a concurrent retry while we waited for the wallet
            replay = _replay(community, key, member, offer)
            if replay is None:
                raise
            return replay
        _check_limit(member, offer)  # again, now that the wallet lock orders this member's claims
        month = month_in(community.timezone, now)
        _check_cap(partnership, offer, month)
        taken = db.session.execute(
            update(Offer)
            .where(Offer.id == offer.id, Offer.claimed < Offer.quantity)
            .values(claimed=Offer.claimed + 1)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            raise _sold_out()
        code = codes.new_code()
        voucher = Voucher(
            id=voucher_id, community_id=community.id, merchant_id=offer.merchant_id,
            offer_id=offer.id, member_id=member.id, transaction_id=transaction.id,
            status=VoucherStatus.ISSUED, code_tail=codes.tail(code),
            title=offer.title, kind=offer.kind.value, terms=offer.terms, points=offer.points,
            offer_price_minor=offer.offer_price_minor, market_price_minor=offer.market_price_minor,
            price_currency=offer.currency, refund_on_expiry=offer.refund_on_expiry,
            cancellable=offer.cancellable, valid_from=offer.valid_from,
            valid_until=offer.valid_until, holder_masked=mask_name(member.name),
            claimed_by=actor.user.id, claim_month=month, created_at=now,
        )
        db.session.add(voucher)
        db.session.add(VoucherSecret(community_id=community.id, id=voucher_id, code=code))
        # 80 random bits: a clash is not expected in the life of the universe; if one came,
        # the unique index refuses it and the claim fails whole, points included.
        db.session.add(VoucherCode(digest=codes.digest(code), merchant_id=offer.merchant_id,
                                   community_id=community.id, voucher_id=voucher_id))
        record("voucher.claimed", actor.user, community_id=community.id,
               merchant_id=offer.merchant_id, voucher=voucher_id, offer=offer.id,
               member=member.id, points=offer.points)
    return Claimed(voucher, code)


def voucher_code(voucher: Voucher) -> str | None:
    return db.session.scalar(select(VoucherSecret.code).where(
        VoucherSecret.community_id == voucher.community_id, VoucherSecret.id == voucher.id))


# --- cancelling and expiring ---------------------------------------------------------------


def _state_error(voucher: Voucher, now) -> MarketError:
    """Why a voucher that is no longer ``issued`` (or is out of date) cannot be used."""
    phase = voucher.phase(now)
    if phase == "redeemed":
        when = format_datetime(voucher.redeemed_at, "short")
        if voucher.redeemed_by_name:
            message = _("Already redeemed on %(when)s by %(who)s.", when=when, who=voucher.redeemed_by_name)
        else:
            message = _("Already redeemed on %(when)s.", when=when)
        return MarketError("already_redeemed", message, redeemed_at=voucher.redeemed_at.isoformat(),
                           redeemed_by=voucher.redeemed_by_name)
    if phase == "cancelled":
        return MarketError("cancelled", _("This voucher was cancelled and its points refunded."),
                           status=410)
    if phase == "expired":
        return MarketError("expired", _("This voucher expired on %(when)s.",
                                        when=format_datetime(voucher.valid_until, "short")),
                           status=410, valid_until=voucher.valid_until.isoformat())
    if phase == "upcoming":
        return MarketError("not_yet_valid", _("This voucher can be used from %(when)s.",
                                              when=format_datetime(voucher.valid_from, "short")),
                           valid_from=voucher.valid_from.isoformat())
    return MarketError("conflict", _("This voucher cannot be used now."))


def _end(voucher: Voucher, status: VoucherStatus, now, extra_where=()) -> bool:
    result = db.session.execute(
        update(Voucher)
        .where(Voucher.community_id == voucher.community_id, Voucher.id == voucher.id,
               Voucher.status == VoucherStatus.ISSUED, *extra_where)
        .values(status=status, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(voucher)
    return result.rowcount == 1


def _refund(community, voucher: Voucher, purpose: str, actor=None):
    member = db.session.scalar(select(Member).where(
        Member.community_id == voucher.community_id, Member.id == voucher.member_id))
    merchant_name = db.session.scalar(select(Merchant.name).where(Merchant.id == voucher.merchant_id))
    reason = f"{voucher.title} · {merchant_name}"
    transaction = ledger.refund(
        community, member, voucher.points, source=merchant_account(community.id, voucher.merchant_id),
        reason=reason[:200], actor=actor, cause=Cause("voucher", voucher.id),
        idempotency_key=f"voucher-{purpose}:{voucher.id}",
    )
    voucher.refund_transaction_id = transaction.id
    return transaction


def do_cancel_voucher(actor, voucher: Voucher, now: datetime | None = None) -> Voucher:
    """The resident hands back an unredeemed voucher: points back, stock back."""
    now = now or utcnow()
    community = actor.community
    with atomic():
        if voucher.status == VoucherStatus.ISSUED and not voucher.cancellable:
            raise MarketError("not_cancellable", _("This offer does not allow vouchers to be handed back."))
        if not _end(voucher, VoucherStatus.CANCELLED, now, (Voucher.valid_until > now,)):
            raise _state_error(voucher, now)
        _refund(community, voucher, "cancel", actor.user)
        db.session.execute(
            update(Offer).where(Offer.id == voucher.offer_id, Offer.claimed > 0)
            .values(claimed=Offer.claimed - 1).execution_options(synchronize_session=False))
        record("voucher.cancelled", actor.user, community_id=community.id,
               merchant_id=voucher.merchant_id, voucher=voucher.id, points=voucher.points)
    return voucher


def do_expire_voucher(community, voucher: Voucher, now: datetime | None = None) -> bool:
    """Mark an out-of-date voucher expired, refunding it if its offer said so. Running it
    twice changes nothing the second time."""
    now = now or utcnow()
    with atomic():
        if not _end(voucher, VoucherStatus.EXPIRED, now, (Voucher.valid_until <= now,)):
            return False
        if voucher.refund_on_expiry:
            _refund(community, voucher, "expiry")
        record("voucher.expired", None, community_id=community.id, merchant_id=voucher.merchant_id,
               voucher=voucher.id, refunded=voucher.refund_on_expiry)
    return True


# --- the counter ---------------------------------------------------------------------------


@dataclass
class Redemption:
    """What the counter shows and the API answers (read before the commit, no reload)."""

    voucher_id: object
    code: str
    status: str
    community_id: object
    community_slug: str
    community_name: str
    offer_id: object
    title: str
    kind: str
    points: int
    holder_masked: str
    valid_until: datetime
    redeemed_at: datetime | None = None
    redeemed_by_name: str | None = None
    point_value_minor: int | None = None
    currency: str | None = None
    settlement_month: str | None = None


def unknown_code() -> MarketError:
    return MarketError("unknown_code", _("This code is not valid at this shop. Check it and type it again."),
                       status=404)


# The counter is the marketplace's hot path: its statements are Core, built once (they are
# immutable) and executed with values on the session's connection, and the voucher becomes
# the session's object through core.loaded (which refuses a row outside the tenant scope,
# the check the ORM's filter would have made; row-level security applies as well). Each
# statement names the merchant itself, as the tenant filter would.
VOUCHERS, CODES = Voucher.__table__, VoucherCode.__table__
PARTNERSHIPS, COMMUNITIES = Partnership.__table__, Community.__table__
# what the counter reads of a voucher (the rest, such as its terms, loads if ever used)
_AT_COUNTER = ("community_id", "id", "merchant_id", "offer_id", "status", "title", "kind", "points",
               "holder_masked", "valid_from", "valid_until", "redeemed_at", "redeemed_by_name",
               "point_value_minor", "currency", "settlement_month")
_FIND = DriverStatement(
    select(*(VOUCHERS.c[name] for name in _AT_COUNTER), PARTNERSHIPS.c.status.label("partnership_status"),
           PARTNERSHIPS.c.point_value_minor.label("partnership_value"),
           PARTNERSHIPS.c.currency.label("partnership_currency"),
           COMMUNITIES.c.slug.label("community_slug"), COMMUNITIES.c.name.label("community_name"),
           COMMUNITIES.c.timezone.label("community_timezone"))
    .join(CODES, (CODES.c.community_id == VOUCHERS.c.community_id) & (CODES.c.voucher_id == VOUCHERS.c.id))
    .join(PARTNERSHIPS, (PARTNERSHIPS.c.community_id == VOUCHERS.c.community_id)
          & (PARTNERSHIPS.c.merchant_id == VOUCHERS.c.merchant_id))
    .join(COMMUNITIES, COMMUNITIES.c.id == VOUCHERS.c.community_id)
    .where(CODES.c.digest == bindparam("digest"),
           CODES.c.merchant_id == bindparam("merchant", type_=Uuid),
           VOUCHERS.c.merchant_id == bindparam("merchant", type_=Uuid))
)
_REDEEM = DriverStatement(
    update(VOUCHERS)
    .where(VOUCHERS.c.community_id == bindparam("v_community", type_=Uuid),
           VOUCHERS.c.id == bindparam("v_id", type_=Uuid),
           VOUCHERS.c.merchant_id == bindparam("v_merchant", type_=Uuid),
           VOUCHERS.c.status == VoucherStatus.ISSUED,
           VOUCHERS.c.valid_from <= bindparam("v_now", type_=UTCDateTime),
           VOUCHERS.c.valid_until > bindparam("v_now", type_=UTCDateTime))
    .values(status=VoucherStatus.REDEEMED, redeemed_at=bindparam("v_now", type_=UTCDateTime),
            redeemed_by=bindparam("v_by", type_=Uuid), redeemed_by_name=bindparam("v_by_name"),
            point_value_minor=bindparam("v_value"), currency=bindparam("v_currency"),
            settlement_month=bindparam("v_month"))
)


@dataclass
class AtCounter:
    """A voucher found at the counter, with what redeeming it needs from its partnership and
    community (read as plain columns: the counter is the hot path)."""

    voucher: Voucher
    code: str
    partnership_status: PartnershipStatus
    point_value_minor: int | None
    currency: str | None
    community_slug: str
    community_name: str
    timezone: str


def find_at_counter(merchant_id, text) -> AtCounter:
    """The merchant's voucher with this code, or ``unknown_code``: malformed, mistyped,
    unknown and another merchant's codes all get the same answer."""
    code = codes.normalise(text)
    if code is None:
        raise unknown_code()
    values = _FIND.run({"digest": codes.digest(code), "merchant": merchant_id}).first()
    if values is None:
        raise unknown_code()
    voucher = as_loaded(Voucher, values)
    return AtCounter(voucher, code, values["partnership_status"], values["partnership_value"],
                     values["partnership_currency"], values["community_slug"], values["community_name"],
                     values["community_timezone"])


def _check_redeemable(found: AtCounter, now) -> None:
    if found.voucher.phase(now) != "issued":
        raise _state_error(found.voucher, now)
    if found.partnership_status != PartnershipStatus.ACTIVE:
        raise MarketError("partnership_suspended",
                          _("The partnership with this community is suspended: vouchers cannot be redeemed."))


def _snapshot(found: AtCounter, **changes) -> Redemption:
    voucher = found.voucher
    values = dict(
        voucher_id=voucher.id, code=codes.grouped(found.code), status=voucher.status.value,
        community_id=voucher.community_id, community_slug=found.community_slug,
        community_name=found.community_name, offer_id=voucher.offer_id, title=voucher.title,
        kind=voucher.kind, points=voucher.points, holder_masked=voucher.holder_masked,
        valid_until=voucher.valid_until, redeemed_at=voucher.redeemed_at,
        redeemed_by_name=voucher.redeemed_by_name, point_value_minor=voucher.point_value_minor,
        currency=voucher.currency, settlement_month=voucher.settlement_month,
    )
    values.update(changes)
    return Redemption(**values)


def check_at_counter(merchant_actor, text, now: datetime | None = None) -> Redemption:
    """What redeeming this code would do, without doing it (the counter's first step)."""
    now = now or utcnow()
    found = find_at_counter(merchant_actor.merchant.id, text)
    _check_redeemable(found, now)
    snapshot = _snapshot(found)
    db.session.rollback()
    return snapshot


def do_redeem_voucher(merchant_actor, text, now: datetime | None = None) -> Redemption:
    """Redeem the voucher with this code at the merchant's counter, once."""
    now = now or utcnow()
    user = merchant_actor.user
    with atomic():
        found = find_at_counter(merchant_actor.merchant.id, text)
        _check_redeemable(found, now)
        voucher = found.voucher
        # the month it is paid in: this one, unless settlement closed it meanwhile (then the
        # next open one); holds the month's lock until this commits (merchants.settlement.periods)
        month = open_month_for_redemption(voucher.community_id, month_in(found.timezone, now))
        values = dict(
            status=VoucherStatus.REDEEMED, redeemed_at=now, redeemed_by=user.id,
            redeemed_by_name=user.name, point_value_minor=found.point_value_minor,
            currency=found.currency, settlement_month=month,
        )
        result = _REDEEM.run({
            "v_community": voucher.community_id, "v_id": voucher.id, "v_merchant": merchant_actor.merchant.id,
            "v_now": now,
            "v_by": user.id, "v_by_name": user.name, "v_value": values["point_value_minor"],
            "v_currency": values["currency"], "v_month": values["settlement_month"],
        })
        if result.rowcount != 1:  # another till got there first
            db.session.refresh(voucher)
            raise _state_error(voucher, now)
        snapshot = _snapshot(
            found, status=VoucherStatus.REDEEMED.value,
            **{k: values[k] for k in ("redeemed_at", "redeemed_by_name", "point_value_minor",
                                      "currency", "settlement_month")})
        record("voucher.redeemed", user, community_id=voucher.community_id,
               merchant_id=voucher.merchant_id, voucher=voucher.id, points=voucher.points,
               point_value=values["point_value_minor"])
    return snapshot
