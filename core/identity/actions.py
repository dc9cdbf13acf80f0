"""State changes of identity: users, members, district admins, tokens."""

import functools
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, func, select

from core.audit.actions import record
from core.driver_sql import DriverStatement
from core.extensions import db
from core.identity.models import AccountKind, ApiToken, DistrictAdmin, Member, Role, User
from core.identity.passwords import hash_password, verify_password
from core.loaded import as_loaded
from core.types import utcnow


class IdentityError(Exception):
    """A request that cannot be done; ``code`` is the stable machine word."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def find_user_by_login(login: str) -> User | None:
    """A login is a user name or a phone number."""
    login = (login or "").strip()
    if not login:
        return None
    return db.session.scalar(
        select(User).where((User.login == login) | (User.phone == login))
    )


def authenticate(login: str, password: str) -> User | None:
    user = find_user_by_login(login)
    ok = verify_password(user.password_hash if user else None, password or "")
    if ok and user.active:
        return user
    return None


def _ensure_login_free(login: str, phone: str | None) -> None:
    taken = select(User.id).where(User.login.in_([login, phone] if phone else [login]))
    if phone:
        taken = taken.union(select(User.id).where(User.phone.in_([login, phone])))
    if db.session.execute(taken).first():
        raise IdentityError("login_taken", "login_taken", field="login")


def do_create_user(
    login: str, password: str, name: str, *, phone=None, actor=None, platform_admin=False
) -> User:
    _ensure_login_free(login, phone)
    user = User(
        login=login,
        phone=phone,
        name=name,
        password_hash=hash_password(password),
        is_platform_admin=platform_admin,
    )
    db.session.add(user)
    db.session.flush()
    record("user.created", actor, user=user.id, login=login, platform_admin=platform_admin)
    return user


def next_member_number(community_id) -> int:
    current = db.session.scalar(
        select(func.max(Member.number)).where(Member.community_id == community_id)
    )
    return (current or 0) + 1


def do_add_member(
    community, user: User, role: Role, *, account_kind=AccountKind.BLUE, name=None, actor=None
) -> Member:
    member = Member(
        community_id=community.id,
        user_id=user.id,
        role=Role(role),
        account_kind=AccountKind(account_kind),
        name=name or user.name,
        number=next_member_number(community.id),
    )
    db.session.add(member)
    db.session.flush()
    record(
        "member.added", actor, community_id=community.id, member=member.id,
        role=member.role, account_kind=member.account_kind,
    )
    return member


def do_add_district_admin(district, user: User, actor=None) -> DistrictAdmin:
    grant = DistrictAdmin(district_id=district.id, user_id=user.id)
    db.session.add(grant)
    db.session.flush()
    record("district.admin_added", actor, district=district.id, user=user.id)
    return grant


def do_change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise IdentityError("wrong_password", "wrong_password", field="current_password")
    user.password_hash = hash_password(new)
    user.auth_epoch += 1
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = utcnow()
    record("user.password_changed", user, user=user.id)
    db.session.commit()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_issue_token(user: User) -> tuple[str, ApiToken]:
    token = "lt_" + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=token_digest(token),
        expires_at=utcnow() + timedelta(hours=current_app.config["API_TOKEN_HOURS"]),
    )
    db.session.add(row)
    record("token.issued", user, token=row.id)
    db.session.commit()
    return token, row


def do_revoke_token(row: ApiToken, actor=None) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record("token.revoked", actor, token=row.id)
    db.session.commit()


@functools.cache
def _token_with_user():
    """One Core query for the token's state and its user, built once (on first use: every
    model mapped): every API request runs it, so it skips the ORM (core.loaded)."""
    users, tokens = User.__table__, ApiToken.__table__
    return DriverStatement(
        select(users, tokens.c.revoked_at.label("token_revoked_at"), tokens.c.expires_at.label("token_expires_at"))
        .join(tokens, tokens.c.user_id == users.c.id)
        .where(tokens.c.token_hash == bindparam("digest")))


def user_for_token(token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    row = _token_with_user().run({"digest": token_digest(token)}).first()
    if row is None or row["token_revoked_at"] is not None or row["token_expires_at"] <= utcnow():
        return None
    user = as_loaded(User, row)
    return user if user.active else None
