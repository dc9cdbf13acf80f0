"""State changes of onboarding. Each ``do_*`` owns its transaction and leaves an audit row.

Imported residents and passwords: a resident imported from a list gets a user with **no
usable password** (the stored hash is a marker no password matches) and a login made from the
community and their member number (``xinhua-123``). Most residents on such lists are served
through staff: a grid worker finds them by name, member number or phone and acts for them,
and the resident card printed right after the import identifies them at the counter. A
random initial password would have to be handed out on paper to thousands of people (and
would then be the weakest password in the system), so none is made; a resident who wants to
use their phone is invited to set their own (left for later: the same signed, single-use
link as grid workers' invitations).
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update

from core.audit.actions import record
from core.extensions import db
from core.identity.actions import do_add_member, do_create_user, next_member_number
from core.identity.models import AccountKind, Member, Role, User
from core.tenancy.context import use_community
from core.transactions import atomic
from core.types import utcnow
from tenants.onboarding import hooks, residents
from tenants.onboarding.models import (
    BatchStatus,
    ImportBatch,
    ImportRow,
    Invitation,
    ShopItemTemplate,
)

# No password verifies against this: argon2 refuses it as a hash (see identity.passwords).
NO_PASSWORD = "!no-password"
INVITE_SALT = "linli.invitation"
INVITE_MAX_DAYS = 30


class OnboardingError(Exception):
    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.field = field


def _actor_id(actor):
    return getattr(actor, "id", actor)


# --- shop item templates -----------------------------------------------------------------------


def _template_values(fields: dict) -> dict:
    return {
        "name": (fields.get("name") or "").strip()[:80],
        "category": (fields.get("category") or "").strip()[:40],
        "points": int(fields["points"]),
        "stock": int(fields.get("stock") or 0),
    }


def _name_taken(district_id, name, except_id=None) -> bool:
    query = select(ShopItemTemplate.id).where(ShopItemTemplate.district_id == district_id,
                                              func.lower(ShopItemTemplate.name) == name.lower())
    if except_id is not None:
        query = query.where(ShopItemTemplate.id != except_id)
    return db.session.scalar(query) is not None


def do_add_shop_template(district, *, actor, **fields) -> ShopItemTemplate:
    values = _template_values(fields)
    if _name_taken(district.id, values["name"]):
        raise OnboardingError("name_taken", "name")
    with atomic():
        template = ShopItemTemplate(district_id=district.id, **values)
        db.session.add(template)
        db.session.flush()
        record("shop_template.added", actor, district=district.id, template=template.id, **values)
    return template


def do_update_shop_template(template, *, actor, **fields) -> ShopItemTemplate:
    values = _template_values(fields)
    if _name_taken(template.district_id, values["name"], template.id):
        raise OnboardingError("name_taken", "name")
    with atomic():
        for key, value in values.items():
            setattr(template, key, value)
        record("shop_template.updated", actor, district=template.district_id, template=template.id, **values)
    return template


def do_delete_shop_template(template, *, actor) -> None:
    with atomic():
        record("shop_template.deleted", actor, district=template.district_id, template=template.id,
               name=template.name)
        db.session.delete(template)


def copy_shop_templates(community, district, actor=None) -> int:
    """The community-creation hook: the district's shop templates become the new community's
    shelf. Runs inside ``do_create_community``'s transaction, scoped to the new community, so
    it adds rows rather than calling the shop's actions (which commit)."""
    from tenants.shop.models import ShopItem

    templates = db.session.scalars(
        select(ShopItemTemplate).where(ShopItemTemplate.district_id == district.id)
        .order_by(ShopItemTemplate.category, ShopItemTemplate.name)).all()
    for template in templates:
        db.session.add(ShopItem(community_id=community.id, name=template.name,
                                category=template.category, points=template.points,
                                stock=template.stock, active=True))
    db.session.flush()
    if templates:
        record("shop.templates_copied", actor, community_id=community.id, district=district.id,
               items=len(templates))
    return len(templates)


# --- the checklist's own ticks ----------------------------------------------------------------


REVIEW_STEPS = ("rules", "shop")


def do_mark_reviewed(community, step: str, *, actor, reviewed: bool = True) -> None:
    if step not in REVIEW_STEPS:
        raise OnboardingError("unknown_step")
    with atomic():
        settings = dict(community.settings or {})
        onboarding = dict(settings.get("onboarding") or {})
        onboarding[f"{step}_reviewed_at"] = utcnow().isoformat() if reviewed else None
        settings["onboarding"] = onboarding
        community.settings = settings  # a new dict, so the JSON column sees the change
        record("onboarding.reviewed", actor, community_id=community.id, step=step, reviewed=reviewed)


# --- invitations ---------------------------------------------------------------------------------


def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt=INVITE_SALT)


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def do_create_invitations(community, *, actor, labels, days: int = 7,
                          role: Role = Role.GRID_WORKER) -> list[tuple[Invitation, str]]:
    """One signed link per label ("" for an unnamed one). The links are returned once: only
    the nonce's hash is stored."""
    if not 1 <= days <= INVITE_MAX_DAYS:
        raise OnboardingError("bad_days", "days")
    if not labels or len(labels) > 50:
        raise OnboardingError("bad_count", "count")
    out = []
    with use_community(community.id), atomic():
        for label in labels:
            nonce = secrets.token_urlsafe(18)
            invitation = Invitation(community_id=community.id, role=role, label=(label or "")[:80],
                                    nonce_hash=_digest(nonce), expires_at=utcnow() + timedelta(days=days),
                                    created_by=_actor_id(actor))
            db.session.add(invitation)
            db.session.flush()
            token = _serializer().dumps({"i": invitation.id.hex, "n": nonce})
            out.append((invitation, token))
        record("invitations.created", actor, community_id=community.id, count=len(out),
               role=role, days=days)
    return out


def do_revoke_invitation(invitation, *, actor) -> None:
    with atomic():
        if invitation.used_at is None and invitation.revoked_at is None:
            invitation.revoked_at = utcnow()
            record("invitation.revoked", actor, community_id=invitation.community_id,
                   invitation=invitation.id)


def invitation_for_token(community, token) -> Invitation | None:
    """The open invitation of ``community`` this token names, else None (bad signature,
    another community's, used, revoked or expired: all the same "not found")."""
    if not isinstance(token, str) or len(token) > 300:
        return None
    try:
        data = _serializer().loads(token, max_age=INVITE_MAX_DAYS * 86400 + 3600)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("i"), str) or not isinstance(data.get("n"), str):
        return None
    from core.ids import parse_id

    invitation_id = parse_id(data["i"])
    if invitation_id is None:
        return None
    with use_community(community.id):
        invitation = db.session.scalar(select(Invitation).where(
            Invitation.community_id == community.id, Invitation.id == invitation_id))
    if invitation is None or not hmac.compare_digest(invitation.nonce_hash, _digest(data["n"])):
        return None
    if invitation.state(utcnow()) != "open":
        return None
    return invitation


def do_accept_invitation(community, invitation, *, login, password, name) -> tuple[User, Member]:
    """Create the user and make them a member with the invitation's role; the invitation is
    used up in the same transaction (a guarded UPDATE: of two people racing, one wins)."""
    with use_community(community.id), atomic():
        user = do_create_user(login, password, name, actor=None)
        now = utcnow()
        taken = db.session.execute(
            update(Invitation)
            .where(Invitation.community_id == community.id, Invitation.id == invitation.id,
                   Invitation.used_at.is_(None), Invitation.revoked_at.is_(None),
                   Invitation.expires_at > now)
            .values(used_at=now, used_by=user.id)
        ).rowcount
        if taken != 1:
            raise OnboardingError("invitation_used")
        member = do_add_member(community, user, invitation.role, account_kind=AccountKind.BLUE,
                               name=name, actor=user)
        record("invitation.accepted", user, community_id=community.id, invitation=invitation.id,
               member=member.id, role=invitation.role)
    return user, member


# --- resident imports -----------------------------------------------------------------------------


def _check_context(community, rows) -> residents.Context:
    names = set(db.session.scalars(select(func.lower(Member.name)).where(
        Member.community_id == community.id)))
    phones = sorted({r.phone for r in rows if r.phone})
    taken = set()
    for i in range(0, len(phones), 500):
        chunk = phones[i:i + 500]
        for login, phone in db.session.execute(
            select(User.login, User.phone).where(or_(User.phone.in_(chunk), User.login.in_(chunk)))
        ):
            taken.update(v for v in (login, phone) if v in chunk)
    buildings = {str(k).strip().lower(): v for k, v in hooks.buildings_of(community.id).items()}
    return residents.Context(names, taken, buildings)


def _batch_rows(batch) -> list[ImportRow]:
    return list(db.session.scalars(select(ImportRow).where(
        ImportRow.community_id == batch.community_id, ImportRow.batch_id == batch.id
    ).order_by(ImportRow.line)))


def do_upload_residents(community, *, actor, filename: str, data: bytes) -> ImportBatch:
    """Read the file and check every row. Nothing is imported: the admin looks first."""
    raw = residents.read_file(filename, data)
    with use_community(community.id), atomic():
        batch = ImportBatch(community_id=community.id, filename=(filename or "")[:200],
                            created_by=_actor_id(actor), rows_total=len(raw))
        db.session.add(batch)
        db.session.flush()
        rows = [
            ImportRow(community_id=community.id, batch_id=batch.id, line=r.line,
                      name=residents.normalise_name(r.values["name"])[:200],
                      phone=residents.normalise_phone(r.values["phone"]),
                      kind_text=r.values["kind"][:40], building=r.values["building"][:80])
            for r in raw
        ]
        residents.check_rows(rows, _check_context(community, rows))
        db.session.add_all(rows)
        record("residents.uploaded", actor, community_id=community.id, batch=batch.id,
               rows=len(rows), clean=sum(1 for r in rows if r.clean))
    return batch


def recheck(batch, community) -> list[ImportRow]:
    rows = _batch_rows(batch)
    residents.check_rows(rows, _check_context(community, rows))
    return rows


def do_fix_row(batch, row, community, *, actor, name, phone, kind_text, building,
               distinct_person=False, skip=False) -> ImportRow:
    """The admin corrects a row (or skips it); every row of the file is checked again, since
    a fixed phone can end another row's duplicate."""
    if batch.status != BatchStatus.OPEN or row.member_id is not None:
        raise OnboardingError("row_closed")
    with use_community(community.id), atomic():
        row.name = residents.normalise_name(name)[:200]
        row.phone = residents.normalise_phone(phone)
        row.kind_text = (kind_text or "").strip()[:40]
        row.building = (building or "").strip()[:80]
        row.distinct_person = bool(distinct_person)
        row.skip = bool(skip)
        db.session.flush()
        recheck(batch, community)
        record("residents.row_fixed", actor, community_id=community.id, batch=batch.id, line=row.line,
               skip=row.skip, problems=row.problems)
    return row


def do_skip_rows(batch, community, *, actor, lines=None, skip=True) -> int:
    """Skip (or take back) rows: the given lines, or every row that still has a problem."""
    if batch.status != BatchStatus.OPEN:
        raise OnboardingError("batch_closed")
    with use_community(community.id), atomic():
        rows = recheck(batch, community)
        chosen = [r for r in rows if r.member_id is None and (
            (lines is not None and r.line in lines) or (lines is None and r.problems))]
        for row in chosen:
            row.skip = skip
        db.session.flush()
        recheck(batch, community)
        record("residents.rows_skipped", actor, community_id=community.id, batch=batch.id,
               lines=[r.line for r in chosen], skip=skip)
    return len(chosen)


def do_discard_batch(batch, *, actor) -> None:
    with atomic():
        batch.status = BatchStatus.DISCARDED
        record("residents.discarded", actor, community_id=batch.community_id, batch=batch.id)


def _logins_for(community, numbers) -> dict:
    wanted = {n: f"{community.slug}-{n}" for n in numbers}
    taken = set()
    values = list(wanted.values())
    for i in range(0, len(values), 500):
        taken.update(db.session.scalars(select(User.login).where(User.login.in_(values[i:i + 500]))))
    return {n: (login if login not in taken else f"{login}-{secrets.token_hex(3)}")
            for n, login in wanted.items()}


def do_import_clean_rows(batch, community, *, actor) -> int:
    """Import every clean row not yet imported, in one transaction: each becomes a user (no
    password, see the module doc) and a resident member with the row's account kind; the
    row keeps the member it made. Rows with problems stay behind to be fixed."""
    if batch.status != BatchStatus.OPEN:
        raise OnboardingError("batch_closed")
    with use_community(community.id), atomic():
        # One import at a time per batch: lock it, then check everything again.
        db.session.execute(select(ImportBatch.id).where(
            ImportBatch.community_id == community.id, ImportBatch.id == batch.id).with_for_update())
        rows = recheck(batch, community)
        clean = [r for r in rows if r.clean]
        if not clean:
            return 0
        first = next_member_number(community.id)
        numbers = list(range(first, first + len(clean)))
        logins = _logins_for(community, numbers)
        users = []
        for row, number in zip(clean, numbers, strict=True):
            user = User(login=logins[number], phone=row.phone or None, name=row.name,
                        password_hash=NO_PASSWORD, is_platform_admin=False)
            users.append(user)
        db.session.add_all(users)
        db.session.flush()
        members = []
        for row, number, user in zip(clean, numbers, users, strict=True):
            member = Member(community_id=community.id, user_id=user.id, role=Role.RESIDENT,
                            account_kind=AccountKind(row.account_kind or "blue"), name=row.name,
                            number=number)
            members.append(member)
        db.session.add_all(members)
        db.session.flush()
        for row, member in zip(clean, members, strict=True):
            row.member_id = member.id
            hooks.assign_building(member, row.building_id)
        batch.imported += len(clean)
        batch.last_import_at = utcnow()
        record("residents.imported", actor, community_id=community.id, batch=batch.id,
               count=len(clean), first_number=first)
    return len(clean)
