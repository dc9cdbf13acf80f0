from flask import g
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from core.api.framework import (
    ApiError,
    api_blueprint,
    authenticated_user,
    community_api_blueprint,
    idempotent,
    not_found,
    require_role,
)
from core.identity.actions import (
    IdentityError,
    authenticate,
    do_add_member,
    do_create_user,
    do_issue_token,
)
from core.identity.models import AccountKind, Role
from core.identity.schemas import LOGIN_PATTERN, TokenIn, TokenOut
from core.identity.throttle import login_throttle
from core.tenancy.access import NotFound, access_member
from core.throttle import Throttled
from core.transactions import atomic

tokens = api_blueprint("api_tokens", __name__, description="Bearer tokens")
members = community_api_blueprint("api_members", __name__, "/members", description="Community members")


@tokens.route("/tokens")
class Tokens(MethodView):
    @tokens.arguments(TokenIn)
    @tokens.response(201, TokenOut)
    @tokens.doc(security=[])
    def post(self, body):
        """Exchange a login and password for a bearer token."""
        keys = login_throttle.keys(body["login"])
        try:
            login_throttle.check(*keys)
        except Throttled as exc:
            raise ApiError(429, "too_many_requests", _("Too many failed attempts. Try again later."),
                           headers={"Retry-After": str(exc.retry_after)}) from exc
        user = authenticate(body["login"], body["password"])
        if user is None:
            login_throttle.failed(*keys)
            raise ApiError(401, "bad_credentials", _("The login or password is not right."))
        token, row = do_issue_token(user)
        return {"token": token, "expires_at": row.expires_at}


class MemberIn(Schema):
    login = fields.String(required=True, validate=validate.Regexp(LOGIN_PATTERN))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    # at most 20 characters with the "+": the column is String(20)
    phone = fields.String(validate=validate.Regexp(r"^\+?[0-9]{6,19}$"))
    role = fields.String(load_default="resident", validate=validate.OneOf([r.value for r in Role]))
    account_kind = fields.String(load_default="blue", validate=validate.OneOf([k.value for k in AccountKind]))


class MemberOut(Schema):
    id = fields.UUID()
    name = fields.String()
    number = fields.Integer()
    role = fields.Enum(Role, by_value=True)
    account_kind = fields.Enum(AccountKind, by_value=True)
    balance = fields.Function(lambda m: member_balance(m), metadata={"type": "integer"})


def member_balance(member) -> int:
    """The member's points balance (0 until the ledger is installed)."""
    from core.identity import balances

    return balances.balance_of(member)


@members.route("")
class Members(MethodView):
    @idempotent
    @members.arguments(MemberIn)
    @members.response(201, MemberOut)
    def post(self, body):
        """Add a member to the community (community admin)."""
        require_role(Role.ADMIN)
        actor = authenticated_user()
        try:
            with atomic():
                user = do_create_user(body["login"], body["password"], body["name"],
                                      phone=body.get("phone"), actor=actor)
                member = do_add_member(g.community, user, Role(body["role"]),
                                       account_kind=AccountKind(body["account_kind"]), actor=actor)
        except IdentityError as exc:
            raise ApiError(409, exc.code, _("This login is already taken."),
                           errors={"login": [_("This login is already taken.")]}) from exc
        return member


@members.route("/<member_id>")
class MemberDetail(MethodView):
    @members.response(200, MemberOut)
    def get(self, member_id):
        """A member: staff see anyone in the community, a resident only themselves."""
        try:
            return access_member(g.actor, member_id)
        except NotFound as exc:
            raise not_found() from exc

