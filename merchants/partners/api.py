"""Merchants and partnerships over the API (see /work/shared API.md for the contract)."""

from flask import g
from flask.views import MethodView
from flask_babel import gettext as _
from sqlalchemy import select

from core.api.framework import (
    ApiError,
    api_blueprint,
    authenticated_user,
    community_api_blueprint,
    not_found,
    require_role,
)
from core.extensions import db
from core.identity.actions import IdentityError
from core.identity.models import DistrictAdmin, Role
from core.identity.schemas import NewUserSchema
from core.tenancy.access import community_by_slug
from merchants.api_support import (
    PageArgs,
    market_errors,
    merchant_api_blueprint,
    page,
    require_owner,
)
from merchants.partners import actions
from merchants.partners.models import Merchant, Partnership, Side
from merchants.partners.schemas import (
    ApplyIn,
    MerchantIn,
    MerchantOut,
    PartnerIn,
    PartnerList,
    PartnerOut,
    StaffOut,
    TermsIn,
    money_from,
)

merchants = api_blueprint("api_merchants", __name__, "/merchants", description="Merchants")
own = merchant_api_blueprint("api_merchant", __name__, description="A merchant's own account")
community_partners = community_api_blueprint(
    "api_community_partners", __name__, "/partners", description="A community's partner merchants")


def may_admit_merchants(user) -> bool:
    """Platform admins and district admins create and approve merchants."""
    if user.is_platform_admin:
        return True
    return db.session.scalar(select(DistrictAdmin.id).where(DistrictAdmin.user_id == user.id).limit(1)) is not None


def _conflict(exc: IdentityError) -> ApiError:
    field = exc.field or "slug"
    if exc.code == "login_taken":
        message = _("This login is already taken.")
        return ApiError(409, "login_taken", message, errors={"owner": {"login": [message]}})
    message = _("This slug is already taken.")
    return ApiError(409, exc.code, message, errors={field: [message]})


@merchants.route("")
class Merchants(MethodView):
    @merchants.arguments(MerchantIn)
    @merchants.response(201, MerchantOut)
    def post(self, body):
        """Create a merchant with its owner's login (platform or district admin)."""
        user = authenticated_user()
        if not may_admit_merchants(user):
            raise ApiError(403, "forbidden", _("You are not allowed to do this."))
        profile = {k: body[k] for k in ("category", "address", "opening_hours", "phone", "description") if body.get(k)}
        try:
            return actions.do_create_merchant(body["slug"], body["name"], body["owner"], user, **profile)
        except IdentityError as exc:
            raise _conflict(exc) from exc


@merchants.route("/<merchant>/approval")
class MerchantApproval(MethodView):
    @merchants.response(200, MerchantOut)
    def post(self, merchant):
        """Approve a merchant that signed itself up (platform or district admin)."""
        user = authenticated_user()
        if not may_admit_merchants(user):
            raise ApiError(403, "forbidden", _("You are not allowed to do this."))
        row = db.session.scalar(select(Merchant).where(Merchant.slug == str(merchant)[:40]))
        if row is None:
            raise not_found()
        with market_errors():
            return actions.do_approve_merchant(row, user)


@own.route("")
class MerchantDetail(MethodView):
    @own.response(200, MerchantOut)
    def get(self):
        """The merchant's profile (owner or staff)."""
        return g.merchant


@own.route("/staff")
class MerchantStaff(MethodView):
    @own.arguments(NewUserSchema)
    @own.response(201, StaffOut)
    def post(self, body):
        """Give a counter operator a login (owner)."""
        require_owner()
        try:
            with market_errors():
                return actions.do_add_staff(g.merchant_actor, body["login"], body["password"], body["name"])
        except IdentityError as exc:
            message = _("This login is already taken.")
            raise ApiError(409, "login_taken", message, errors={"login": [message]}) from exc


def _partnerships_page(args):
    """Partnerships newest first, a page of them: the tenant scope (the merchant's, or the
    community's) decides whose."""
    def rows(limit, offset):
        return list(db.session.scalars(
            select(Partnership).order_by(Partnership.created_at.desc(), Partnership.id.desc())
            .limit(limit).offset(offset)))
    return page(rows, args, lambda p: p)


@own.route("/partners")
class MerchantPartners(MethodView):
    @own.arguments(PageArgs, location="query")
    @own.response(200, PartnerList)
    def get(self, args):
        """The merchant's partnerships with communities, newest first."""
        return _partnerships_page(args)

    @own.arguments(ApplyIn)
    @own.response(201, PartnerOut)
    def post(self, body):
        """Apply to a community (owner); accepts the community's invitation if there is one."""
        require_owner()
        community = community_by_slug(body["community"])
        if community is None:
            raise ApiError(422, "invalid", _("Some fields are not valid."),
                           errors={"community": [_("No such community.")]})
        with market_errors():
            return actions.do_apply(g.merchant_actor, community, body.get("message"))


def _merchant_partnership(community_slug) -> Partnership:
    community = community_by_slug(community_slug)
    row = community and db.session.scalar(select(Partnership).where(
        Partnership.community_id == community.id, Partnership.merchant_id == g.merchant.id))
    if row is None:
        raise not_found()
    return row


@own.route("/partners/<community>/suspend")
class MerchantSuspend(MethodView):
    @own.response(200, PartnerOut)
    def post(self, community):
        """Suspend the partnership with a community (owner)."""
        require_owner()
        row = _merchant_partnership(community)
        with market_errors():
            return actions.do_suspend(Side.MERCHANT, g.merchant_actor.user, row)


@own.route("/partners/<community>/resume")
class MerchantResume(MethodView):
    @own.response(200, PartnerOut)
    def post(self, community):
        """Resume a partnership the merchant suspended (owner)."""
        require_owner()
        row = _merchant_partnership(community)
        with market_errors():
            return actions.do_resume(Side.MERCHANT, g.merchant_actor.user, row)


# --- the community's side ----------------------------------------------------------------


def _named_merchant(slug) -> Merchant:
    row = db.session.scalar(select(Merchant).where(Merchant.slug == slug))
    if row is None:
        raise ApiError(422, "invalid", _("Some fields are not valid."),
                       errors={"merchant": [_("No such merchant.")]})
    return row


def _terms(body):
    currency = g.community.currency
    return (money_from(body, "point_value", currency),
            money_from(body, "monthly_cap", currency, required=False))


@community_partners.route("")
class CommunityPartners(MethodView):
    @community_partners.arguments(PageArgs, location="query")
    @community_partners.response(200, PartnerList)
    def get(self, args):
        """The community's partnerships and applications (community admin)."""
        require_role(Role.ADMIN)
        return _partnerships_page(args)

    @community_partners.arguments(PartnerIn)
    @community_partners.response(201, PartnerOut)
    def post(self, body):
        """Make a merchant a partner of this community with terms (community admin)."""
        require_role(Role.ADMIN)
        target = _named_merchant(body["merchant"])
        value, cap = _terms(body)
        with market_errors():
            return actions.do_partner(g.actor, target, value, cap)


@community_partners.route("/invitations")
class CommunityInvitations(MethodView):
    @community_partners.arguments(PartnerIn)
    @community_partners.response(201, PartnerOut)
    def post(self, body):
        """Invite a merchant with terms; it becomes a partner when it accepts (community admin)."""
        require_role(Role.ADMIN)
        target = _named_merchant(body["merchant"])
        value, cap = _terms(body)
        with market_errors():
            return actions.do_invite(g.actor, target, value, cap)


def _community_partnership(merchant_slug) -> Partnership:
    row = db.session.scalar(
        select(Partnership).join(Merchant, Merchant.id == Partnership.merchant_id)
        .where(Merchant.slug == str(merchant_slug)[:40], Partnership.community_id == g.community.id))
    if row is None:
        raise not_found()
    return row


@community_partners.route("/<merchant>")
class CommunityPartner(MethodView):
    @community_partners.response(200, PartnerOut)
    def get(self, merchant):
        """One partnership (community admin)."""
        require_role(Role.ADMIN)
        return _community_partnership(merchant)

    @community_partners.arguments(TermsIn)
    @community_partners.response(200, PartnerOut)
    def patch(self, body, merchant):
        """New terms from now on (community admin)."""
        require_role(Role.ADMIN)
        row = _community_partnership(merchant)
        value, cap = _terms(body)
        with market_errors():
            return actions.do_set_terms(g.actor, row, value, cap)


def _community_step(name, doc):
    def post(self, merchant):
        require_role(Role.ADMIN)
        row = _community_partnership(merchant)
        with market_errors():
            if name == "decline":
                return actions.do_decline(g.actor, row)
            step = actions.do_suspend if name == "suspend" else actions.do_resume
            return step(Side.COMMUNITY, g.actor.user, row)

    post.__doc__ = doc
    view = type(f"CommunityPartner{name.title()}", (MethodView,), {
        "post": community_partners.response(200, PartnerOut)(post)})
    community_partners.route(f"/<merchant>/{name}")(view)


_community_step("suspend", "Suspend the partnership (community admin).")
_community_step("resume", "Resume a partnership the community suspended (community admin).")
_community_step("decline", "Decline an application or withdraw an invitation (community admin).")
