"""Merchants, their people and profile, and partnerships with communities.

A partnership row belongs to the community (tenant) and names the merchant. When the merchant
side writes it (applying, suspending), the write happens in a scope that names both, so the
automatic tenant checks and row-level security see a write the merchant may make.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.audit.actions import record
from core.extensions import db
from core.identity.actions import IdentityError, do_create_user
from core.tenancy.context import TenantScope, current_scope, scoped
from core.transactions import atomic
from core.types import utcnow
from merchants.errors import MarketError
from merchants.partners.models import (
    Merchant,
    MerchantRole,
    MerchantStatus,
    MerchantUser,
    Partnership,
    PartnershipStatus,
    Side,
)


def _msg():
    from flask_babel import gettext as _

    return _


def merchant_scope_in(community_id, merchant_id):
    """Write a community's row on the merchant's behalf (a row that names the merchant)."""
    return scoped(TenantScope(community_id=community_id, merchant_id=merchant_id))


# --- merchants ------------------------------------------------------------------------------


def do_create_merchant(slug: str, name: str, owner: dict, actor, *,
                       status=MerchantStatus.ACTIVE, **profile) -> Merchant:
    """Create a merchant with its owner's login, in one transaction."""
    try:
        with atomic():
            if db.session.scalar(select(Merchant.id).where(Merchant.slug == slug)):
                raise IdentityError("slug_taken", "slug_taken", field="slug")
            merchant = Merchant(slug=slug, name=name, status=MerchantStatus(status), **profile)
            if merchant.status == MerchantStatus.ACTIVE:
                merchant.approved_at = utcnow()
                merchant.approved_by = getattr(actor, "id", None)
            db.session.add(merchant)
            db.session.flush()
            user = do_create_user(owner["login"], owner["password"], owner["name"], actor=actor)
            db.session.add(MerchantUser(merchant_id=merchant.id, user_id=user.id, role=MerchantRole.OWNER))
            record("merchant.created", actor or user, merchant_id=merchant.id, slug=slug,
                   status=merchant.status)
    except IntegrityError as exc:  # the same slug or login created concurrently
        raise IdentityError("slug_taken", "slug_taken", field="slug") from exc
    return merchant


def do_register_merchant(slug: str, name: str, owner: dict, **profile) -> Merchant:
    """A merchant signs itself up: pending until a platform or district admin approves."""
    return do_create_merchant(slug, name, owner, None, status=MerchantStatus.PENDING, **profile)


def do_approve_merchant(merchant: Merchant, actor) -> Merchant:
    with atomic():
        if merchant.status != MerchantStatus.PENDING:
            raise MarketError("not_pending", _msg()("This merchant is not waiting for approval."))
        merchant.status = MerchantStatus.ACTIVE
        merchant.approved_at = utcnow()
        merchant.approved_by = actor.id
        record("merchant.approved", actor, merchant_id=merchant.id)
    return merchant


PROFILE_FIELDS = ("name", "category", "address", "opening_hours", "phone", "description")


def do_update_profile(merchant_actor, **changes) -> Merchant:
    _require_owner(merchant_actor)
    merchant = merchant_actor.merchant
    with atomic():
        changed = {}
        for key, value in changes.items():
            if key not in PROFILE_FIELDS:
                raise ValueError(key)
            value = (value or "").strip() or None
            if key == "name" and not value:
                continue
            if getattr(merchant, key) != value:
                setattr(merchant, key, value)
                changed[key] = value
        record("merchant.profile_updated", merchant_actor.user, merchant_id=merchant.id,
               fields=sorted(changed))
    return merchant


def do_set_merchant_photo(merchant_actor, upload: bytes) -> Merchant:
    from merchants.partners.images import store_image

    _require_owner(merchant_actor)
    merchant = merchant_actor.merchant
    with atomic():
        image = store_image(merchant.id, upload)
        merchant.photo_id = image.id
        record("merchant.photo_set", merchant_actor.user, merchant_id=merchant.id, image=image.id)
    return merchant


def do_add_merchant_user(merchant: Merchant, user, role: MerchantRole, actor) -> MerchantUser:
    with atomic():
        grant = MerchantUser(merchant_id=merchant.id, user_id=user.id, role=MerchantRole(role))
        db.session.add(grant)
        record("merchant.user_added", actor, merchant_id=merchant.id, user=user.id, role=role)
    return grant


def do_add_staff(merchant_actor, login: str, password: str, name: str):
    """The owner gives a counter operator a login of their own."""
    _require_owner(merchant_actor)
    merchant = merchant_actor.merchant
    with atomic():
        user = do_create_user(login, password, name, actor=merchant_actor.user)
        db.session.add(MerchantUser(merchant_id=merchant.id, user_id=user.id, role=MerchantRole.STAFF))
        record("merchant.user_added", merchant_actor.user, merchant_id=merchant.id, user=user.id,
               role=MerchantRole.STAFF)
    return user


def do_remove_staff(merchant_actor, user_id) -> None:
    _require_owner(merchant_actor)
    with atomic():
        grant = db.session.scalar(select(MerchantUser).where(
            MerchantUser.merchant_id == merchant_actor.merchant.id, MerchantUser.user_id == user_id,
            MerchantUser.role == MerchantRole.STAFF))
        if grant is None:
            raise MarketError("not_found", _msg()("Not found."), status=404)
        db.session.delete(grant)
        record("merchant.user_removed", merchant_actor.user, merchant_id=merchant_actor.merchant.id,
               user=user_id)


def _require_owner(merchant_actor) -> None:
    if not merchant_actor.is_owner:
        raise MarketError("forbidden", _msg()("Only the owner can do this."), status=403)


def _require_active(merchant: Merchant) -> None:
    if not merchant.is_active:
        raise MarketError("merchant_not_active",
                          _msg()("This merchant is waiting for approval by the platform."))


# --- partnerships ---------------------------------------------------------------------------


def partnership_of(community_id, merchant_id) -> Partnership | None:
    return db.session.scalar(select(Partnership).where(
        Partnership.community_id == community_id, Partnership.merchant_id == merchant_id))


def _terms(community, point_value_minor: int, monthly_cap_minor: int | None) -> dict:
    if point_value_minor is None or point_value_minor < 0:
        raise MarketError("invalid", _msg()("Give the money value of a point."), status=422,
                          field="point_value")
    if monthly_cap_minor is not None and monthly_cap_minor <= 0:
        raise MarketError("invalid", _msg()("A monthly cap must be more than zero."), status=422,
                          field="monthly_cap")
    return {"point_value_minor": point_value_minor, "currency": community.currency,
            "monthly_cap_minor": monthly_cap_minor}


def do_partner(actor, merchant: Merchant, point_value_minor: int,
               monthly_cap_minor: int | None = None) -> Partnership:
    """The community admin makes ``merchant`` a partner now, with terms (approving an
    application or an earlier invitation, or directly)."""
    _ = _msg()
    community = actor.community
    with atomic():
        _require_active(merchant)
        terms = _terms(community, point_value_minor, monthly_cap_minor)
        row = partnership_of(community.id, merchant.id)
        if row is not None and row.status == PartnershipStatus.ACTIVE:
            raise MarketError("already_partner", _("This merchant is already a partner."))
        if row is not None and row.status == PartnershipStatus.SUSPENDED:
            raise MarketError("partnership_suspended",
                              _("This partnership is suspended: resume it instead."))
        if row is None:
            row = Partnership(community_id=community.id, merchant_id=merchant.id)
            db.session.add(row)
        for key, value in terms.items():
            setattr(row, key, value)
        row.status = PartnershipStatus.ACTIVE
        row.suspended_by = None
        _touch(row, actor.user)
        db.session.flush()
        record("partnership.approved", actor.user, community_id=community.id,
               merchant_id=merchant.id, point_value=point_value_minor, cap=monthly_cap_minor)
    return row


def do_invite(actor, merchant: Merchant, point_value_minor: int,
              monthly_cap_minor: int | None = None) -> Partnership:
    """The community offers terms; the partnership starts when the merchant accepts."""
    _ = _msg()
    community = actor.community
    with atomic():
        _require_active(merchant)
        terms = _terms(community, point_value_minor, monthly_cap_minor)
        row = partnership_of(community.id, merchant.id)
        if row is not None and row.status not in (PartnershipStatus.DECLINED, PartnershipStatus.INVITED):
            raise MarketError("already_partner", _("This merchant has already applied or is a partner."))
        if row is None:
            row = Partnership(community_id=community.id, merchant_id=merchant.id)
            db.session.add(row)
        for key, value in terms.items():
            setattr(row, key, value)
        row.status = PartnershipStatus.INVITED
        _touch(row, actor.user)
        db.session.flush()
        record("partnership.invited", actor.user, community_id=community.id, merchant_id=merchant.id,
               point_value=point_value_minor, cap=monthly_cap_minor)
    return row


def do_decline(actor, row: Partnership) -> Partnership:
    """The community turns down an application (or withdraws an invitation)."""
    with atomic():
        if row.status not in (PartnershipStatus.APPLIED, PartnershipStatus.INVITED):
            raise MarketError("not_pending", _msg()("There is nothing to decline."))
        row.status = PartnershipStatus.DECLINED
        _touch(row, actor.user)
        record("partnership.declined", actor.user, community_id=row.community_id,
               merchant_id=row.merchant_id)
    return row


def do_set_terms(actor, row: Partnership, point_value_minor: int,
                 monthly_cap_minor: int | None = None) -> Partnership:
    """New terms from now on; vouchers already redeemed keep the value they were redeemed at."""
    with atomic():
        if row.status not in (PartnershipStatus.ACTIVE, PartnershipStatus.SUSPENDED):
            raise MarketError("not_partner", _msg()("This merchant is not a partner."))
        for key, value in _terms(actor.community, point_value_minor, monthly_cap_minor).items():
            setattr(row, key, value)
        _touch(row, actor.user)
        record("partnership.terms_changed", actor.user, community_id=row.community_id,
               merchant_id=row.merchant_id, point_value=point_value_minor, cap=monthly_cap_minor)
    return row


def do_apply(merchant_actor, community, message: str | None = None) -> Partnership:
    """The merchant asks to partner with ``community``; accepting an invitation if there is one."""
    _ = _msg()
    _require_owner(merchant_actor)
    merchant = merchant_actor.merchant
    with merchant_scope_in(community.id, merchant.id), atomic():
        _require_active(merchant)
        row = partnership_of(community.id, merchant.id)
        if row is not None and row.status == PartnershipStatus.INVITED:
            row.status = PartnershipStatus.ACTIVE
            event = "partnership.accepted"
        elif row is not None and row.status != PartnershipStatus.DECLINED:
            raise MarketError("already_applied", _("You have already applied to this community."))
        else:
            if row is None:
                row = Partnership(community_id=community.id, merchant_id=merchant.id)
                db.session.add(row)
            row.status = PartnershipStatus.APPLIED
            row.message = (message or "").strip()[:300] or None
            event = "partnership.applied"
        _touch(row, merchant_actor.user)
        db.session.flush()
        record(event, merchant_actor.user, community_id=community.id, merchant_id=merchant.id)
    return row


def do_suspend(side: Side, user, row: Partnership) -> Partnership:
    """Either side stops the partnership for now: no new claims, no redemptions."""
    with _side_scope(side, row), atomic():
        if row.status != PartnershipStatus.ACTIVE:
            raise MarketError("not_active", _msg()("This partnership is not active."))
        row.status = PartnershipStatus.SUSPENDED
        row.suspended_by = side
        _touch(row, user)
        record("partnership.suspended", user, community_id=row.community_id,
               merchant_id=row.merchant_id, by=side)
    return row


def do_resume(side: Side, user, row: Partnership) -> Partnership:
    """Only the side that suspended a partnership resumes it."""
    with _side_scope(side, row), atomic():
        if row.status != PartnershipStatus.SUSPENDED:
            raise MarketError("not_suspended", _msg()("This partnership is not suspended."))
        if row.suspended_by != side:
            raise MarketError("suspended_by_other_side",
                              _msg()("The other side suspended this partnership; only they can resume it."))
        row.status = PartnershipStatus.ACTIVE
        row.suspended_by = None
        _touch(row, user)
        record("partnership.resumed", user, community_id=row.community_id,
               merchant_id=row.merchant_id, by=side)
    return row


def _side_scope(side: Side, row: Partnership):
    if side == Side.MERCHANT:
        return merchant_scope_in(row.community_id, row.merchant_id)
    return scoped(current_scope())


def _touch(row: Partnership, user) -> None:
    row.updated_at = utcnow()
    row.updated_by = getattr(user, "id", user)
