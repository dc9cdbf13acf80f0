"""The rules, awards and claims API under ``/api/v1/c/<community>``."""

import base64
import binascii

from flask import g, send_file
from flask.views import MethodView

from core.api.framework import (
    ApiError,
    community_api_blueprint,
    idempotent,
    not_found,
    require_role,
)
from core.identity.models import Role
from core.ids import parse_id
from core.ledger.actions import IdempotencyKeyReused
from core.ledger.queries import balance
from core.tenancy.access import NotFound, access_member
from tenants.rules import claim_actions, photos, queries
from tenants.rules.access import access_claim
from tenants.rules.actions import do_award_points, do_create_rule
from tenants.rules.errors import RulesError, message, status_of
from tenants.rules.schemas import (
    AwardIn,
    AwardOut,
    BulkDecisionIn,
    ClaimIn,
    ClaimList,
    ClaimListArgs,
    ClaimOut,
    DecisionIn,
    RejectIn,
    RuleIn,
    RuleList,
    RuleListArgs,
    RuleOut,
)

rules_api = community_api_blueprint("api_rules", __name__, "/rules", description="Points rules")
awards_api = community_api_blueprint("api_awards", __name__, "/awards", description="Direct awards")
claims_api = community_api_blueprint(
    "api_claims", __name__, "/claims",
    description="Residents' claims (自主申报): filed by a member, decided by staff",
)


def api_error(exc: RulesError) -> ApiError:
    detail = message(exc)
    extra = {}
    if exc.hits:
        extra["hits"] = [
            {"member": str(h.member_id), "period": h.period, "cap": h.cap, "used": h.used,
             **({"claim": str(h.claim_id)} if h.claim_id else {})}
            for h in exc.hits
        ]
    errors = {exc.field: [detail]} if exc.field and status_of(exc) == 422 else None
    return ApiError(status_of(exc), exc.code, detail, errors=errors, **extra)


def key_reused() -> ApiError:
    from flask_babel import gettext as _

    return ApiError(409, "idempotency_key_reused",
                    _("This Idempotency-Key was used with a different request."))


def _page(items, limit):
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": str(items[-1].id) if more and items else None}


def _cursor(value):
    if value is None:
        return None
    cursor = parse_id(value)
    if cursor is None:
        from flask_babel import gettext as _

        raise ApiError(422, "invalid", _("Some fields are not valid."),
                       errors={"cursor": [_("Not a cursor from this list.")]})
    return cursor


# --- rules -------------------------------------------------------------------------------------


@rules_api.route("")
class Rules(MethodView):
    @rules_api.arguments(RuleListArgs, location="query")
    @rules_api.response(200, RuleList)
    def get(self, args):
        """The community's rules (any member), newest first. Retired ones on request."""
        items = queries.rules(g.community.id, include_retired=args["include_retired"])
        items.sort(key=lambda r: r.id, reverse=True)
        cursor = _cursor(args["cursor"])
        if cursor is not None:
            items = [r for r in items if r.id < cursor]
        return _page(items, args["limit"])

    @rules_api.arguments(RuleIn)
    @rules_api.response(201, RuleOut)
    @rules_api.alt_response(409, description="`code_taken`")
    def post(self, body):
        """Add a rule (community admin)."""
        require_role(Role.ADMIN)
        roles = set(body["awarded_by"])
        caps = body["caps"]
        try:
            return do_create_rule(
                g.actor, code=body["code"], name=body["name"].strip(),
                category=body["category"].strip(), points=body["points"], unit=body["unit"],
                needs_approval=body["needs_approval"], needs_evidence=body["needs_evidence"],
                residents_may_claim="resident" in roles,
                grid_workers_may_award="grid_worker" in roles, admins_may_award="admin" in roles,
                cap_day=caps.get("day"), cap_month=caps.get("month"), cap_year=caps.get("year"),
            )
        except RulesError as exc:
            raise api_error(exc) from exc


# --- awards ------------------------------------------------------------------------------------


@awards_api.route("")
class Awards(MethodView):
    @idempotent
    @awards_api.arguments(AwardIn)
    @awards_api.response(201, AwardOut)
    @awards_api.alt_response(409, description="`cap_reached`, `idempotency_key_reused`")
    def post(self, body):
        """Award points under a rule to one member (grid worker, admin).

        Points are the rule's points x quantity. Send an `Idempotency-Key` header: a retry
        returns the first answer and never moves the points twice."""
        require_role(Role.GRID_WORKER)
        rule = queries.rule_by_code(g.community.id, body["rule"])
        try:
            member = access_member(g.actor, body["member"])
        except NotFound:
            member = None
        try:
            if rule is None:
                raise RulesError("unknown_rule", field="rule")
            if member is None or not member.active:
                raise RulesError("unknown_member", field="member")
            awards = do_award_points(g.actor, rule, [member], body["quantity"], body["note"],
                                     idempotency_key=getattr(g, "idempotency_key", None))
        except RulesError as exc:
            raise api_error(exc) from exc
        except IdempotencyKeyReused as exc:
            raise key_reused() from exc
        award = awards[0]
        return {
            "transaction": {"id": award.transaction_id, "points": award.points,
                            "reason": _reason(award)},
            "balance": balance(member), "rule": rule.code, "member": member.id,
            "quantity": award.quantity,
        }


def _reason(award) -> str:
    from sqlalchemy import select

    from core.extensions import db
    from core.ledger.models import LedgerTransaction

    return db.session.scalar(select(LedgerTransaction.reason).where(
        LedgerTransaction.community_id == award.community_id,
        LedgerTransaction.id == award.transaction_id,
    ))


# --- claims ------------------------------------------------------------------------------------


def _claim(claim_id, **kwargs):
    try:
        return access_claim(g.actor, claim_id, **kwargs)
    except NotFound as exc:
        raise not_found() from exc


def _photo_from_base64(value):
    if value is None:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    try:
        if not raw:
            raise photos.PhotoError("photo_not_image")
        return photos.reencode(raw)
    except RulesError as exc:
        raise api_error(exc) from exc


@claims_api.route("")
class Claims(MethodView):
    @claims_api.arguments(ClaimListArgs, location="query")
    @claims_api.response(200, ClaimList)
    def get(self, args):
        """Claims, newest first: staff see the community's, a resident their own."""
        member_id = None
        if not g.actor.is_staff:
            if g.actor.member is None:
                return {"items": [], "next_cursor": None}
            member_id = g.actor.member.id
        elif args["member"] is not None:
            member_id = parse_id(args["member"])
            if member_id is None:
                return {"items": [], "next_cursor": None}
        items = queries.claims(g.community.id, member_id=member_id, status=args["status"],
                               limit=args["limit"] + 1, before_id=_cursor(args["cursor"]))
        return _page(items, args["limit"])

    @idempotent
    @claims_api.arguments(ClaimIn)
    @claims_api.response(201, ClaimOut)
    @claims_api.alt_response(409, description="`cap_reached`")
    def post(self, body):
        """File a claim for yourself under a claimable rule. A rule that needs no approval
        is awarded at once (the claim comes back `approved`)."""
        rule = queries.rule_by_code(g.community.id, body["rule"])
        photo = _photo_from_base64(body["photo"])
        try:
            return claim_actions.do_submit_claim(
                g.actor, rule, body["quantity"], body["note"], photo=photo,
                idempotency_key=getattr(g, "idempotency_key", None),
            )
        except RulesError as exc:
            raise api_error(exc) from exc


@claims_api.route("/<claim_id>")
class ClaimDetail(MethodView):
    @claims_api.response(200, ClaimOut)
    def get(self, claim_id):
        """One claim (staff, or the member who filed it)."""
        return _claim(claim_id)


@claims_api.route("/<claim_id>/photo")
class ClaimPhoto(MethodView):
    @claims_api.response(200, description="The evidence photo (image/jpeg)")
    def get(self, claim_id):
        """The claim's photo (staff, or the member who filed it)."""
        claim = _claim(claim_id)
        path = claim.photo and photos.path_of(g.community.id, claim.photo)
        if not path:
            raise not_found()
        return photo_response(path)


def photo_response(path):
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


def _decide(claim_ids, approve, reason):
    require_role(Role.GRID_WORKER)
    try:
        return claim_actions.do_decide_claims(g.actor, claim_ids, approve=approve, reason=reason)
    except RulesError as exc:
        if exc.code == "unknown_claim":
            raise not_found() from exc
        raise api_error(exc) from exc


@claims_api.route("/<claim_id>/approve")
class ClaimApprove(MethodView):
    @idempotent
    @claims_api.arguments(DecisionIn, required=False)
    @claims_api.response(200, ClaimOut)
    @claims_api.alt_response(409, description="`already_decided` (rejected), `cap_reached`")
    def post(self, body, claim_id):
        """Approve a claim and award its points (staff). Approving again changes nothing."""
        claim = _claim(claim_id)
        return _decide([claim.id], True, (body or {}).get("reason", ""))[0]


@claims_api.route("/<claim_id>/reject")
class ClaimReject(MethodView):
    @claims_api.arguments(RejectIn)
    @claims_api.response(200, ClaimOut)
    @claims_api.alt_response(409, description="`already_decided` (approved)")
    def post(self, body, claim_id):
        """Reject a claim with a reason the resident will read (staff)."""
        claim = _claim(claim_id)
        return _decide([claim.id], False, body["reason"])[0]


@claims_api.route("/decisions")
class ClaimDecisions(MethodView):
    @idempotent
    @claims_api.arguments(BulkDecisionIn)
    @claims_api.response(200, ClaimList)
    @claims_api.alt_response(409, description="`already_decided`, `cap_reached` (nothing decided)")
    def post(self, body):
        """Approve or reject many claims at once, all or none (staff)."""
        claims = _decide(body["claims"], body["decision"] == "approve", body["reason"])
        return {"items": claims, "next_cursor": None}
