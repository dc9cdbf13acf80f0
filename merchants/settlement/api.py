"""Statements over the API (API.md): the merchant's side, the community's side, and closing a
month (platform admin). Every action answers 200 with the whole statement."""

from flask import g
from flask.views import MethodView
from flask_babel import gettext as _

from core.api.framework import (
    ApiError,
    api_blueprint,
    authenticated_user,
    community_api_blueprint,
    idempotent,
    require_role,
)
from core.identity.models import Role
from merchants.api_support import market_errors, merchant_api_blueprint, page, require_owner
from merchants.money import MoneyError, parse_amount
from merchants.settlement import actions, closing, schemas
from merchants.settlement.queries import (
    community_statements,
    merchant_statements,
    statement_for_community,
    statement_for_merchant,
)

merchant_side = merchant_api_blueprint("api_merchant_statements", __name__, "/statements",
                                       description="A merchant's monthly statements")
community_side = community_api_blueprint("api_community_statements", __name__, "/statements",
                                         description="A community's monthly statements with merchants")
platform = api_blueprint("api_settlements", __name__, "/settlements", description="Closing a month")

WRONG_STEP = "a wrong step for the statement's status (`code` says which)"


# --- the merchant ------------------------------------------------------------------------


def _mine(statement_id):
    require_owner()
    with market_errors():
        return statement_for_merchant(g.merchant.id, statement_id)


@merchant_side.route("")
class MerchantStatements(MethodView):
    @merchant_side.arguments(schemas.StatementArgs, location="query")
    @merchant_side.response(200, schemas.StatementList)
    def get(self, args):
        """The merchant's statements, one per community and month, newest first (owner)."""
        require_owner()
        merchant = g.merchant

        def rows(limit, offset):
            return merchant_statements(merchant.id, args["month"], limit, offset)
        return page(rows, args, lambda row: schemas.summary(row[0], row[1], merchant))


@merchant_side.route("/<statement_id>")
class MerchantStatement(MethodView):
    @merchant_side.response(200, schemas.StatementOut)
    def get(self, statement_id):
        """A statement with its lines, credit notes and payment (owner)."""
        return schemas.detail(_mine(statement_id))


@merchant_side.route("/<statement_id>/confirm")
class ConfirmStatement(MethodView):
    @merchant_side.response(200, schemas.StatementOut)
    @merchant_side.alt_response(409, description=WRONG_STEP + ": `already_confirmed`, `statement_locked`")
    def post(self, statement_id):
        """Agree with the statement (or its correction): status ``confirmed`` (owner)."""
        statement = _mine(statement_id)
        with market_errors():
            actions.do_confirm(g.merchant_actor, statement)
        return schemas.detail(statement)


@merchant_side.route("/<statement_id>/dispute")
class DisputeStatement(MethodView):
    @merchant_side.arguments(schemas.DisputeIn)
    @merchant_side.response(200, schemas.StatementOut)
    @merchant_side.alt_response(409, description=WRONG_STEP + ": `statement_locked`")
    def post(self, body, statement_id):
        """Question the statement, or some of its ``lines``, with a ``reason``: status
        ``disputed`` (owner)."""
        statement = _mine(statement_id)
        with market_errors():
            actions.do_dispute(g.merchant_actor, statement, body["reason"], body["lines"])
        return schemas.detail(statement)


# --- the community -----------------------------------------------------------------------


def _ours(statement_id):
    require_role(Role.ADMIN)
    with market_errors():
        return statement_for_community(g.community.id, statement_id)


@community_side.route("")
class CommunityStatements(MethodView):
    @community_side.arguments(schemas.StatementArgs, location="query")
    @community_side.response(200, schemas.StatementList)
    def get(self, args):
        """The community's statements, one per merchant and month, newest first (admin)."""
        require_role(Role.ADMIN)
        community = g.community

        def rows(limit, offset):
            return community_statements(community.id, args["month"], limit, offset)
        return page(rows, args, lambda row: schemas.summary(row[0], community, row[1]))


@community_side.route("/<statement_id>")
class CommunityStatement(MethodView):
    @community_side.response(200, schemas.StatementOut)
    def get(self, statement_id):
        """A statement with its lines, credit notes and payment (admin)."""
        return schemas.detail(_ours(statement_id))


@community_side.route("/<statement_id>/approve")
class ApproveStatement(MethodView):
    @community_side.response(200, schemas.StatementOut)
    @community_side.alt_response(409, description=WRONG_STEP + ": `not_confirmed`, `already_approved`")
    def post(self, statement_id):
        """Approve a statement the merchant confirmed: status ``approved`` (admin)."""
        statement = _ours(statement_id)
        with market_errors():
            actions.do_approve(g.actor, statement)
        return schemas.detail(statement)


@community_side.route("/<statement_id>/credit-notes")
class CreditNotes(MethodView):
    @idempotent
    @community_side.arguments(schemas.CreditNoteIn)
    @community_side.response(200, schemas.StatementOut)
    @community_side.alt_response(409, description=WRONG_STEP + ": `statement_locked`")
    def post(self, body, statement_id):
        """Correct the statement with a credit note (``amount``, ``reason``, optionally the
        ``line`` it is for): status ``adjusted``, for the merchant to confirm (admin)."""
        statement = _ours(statement_id)
        try:
            amount = parse_amount(body["amount"], statement.currency)
        except MoneyError as exc:
            raise ApiError(422, "invalid", _("Some fields are not valid."),
                           errors={"amount": [str(exc)]}) from exc
        with market_errors():
            actions.do_credit_note(g.actor, statement, amount, body["reason"], body["line"])
        return schemas.detail(statement)


@community_side.route("/<statement_id>/payments")
class Payments(MethodView):
    @idempotent
    @community_side.arguments(schemas.PaymentIn)
    @community_side.response(200, schemas.StatementOut)
    @community_side.alt_response(409, description=WRONG_STEP + ": `not_approved`, `already_paid`; "
                                 "`payments_unavailable` (Stripe not set up for this merchant)")
    @community_side.alt_response(502, description="`payment_failed`: Stripe refused the transfer")
    def post(self, body, statement_id):
        """Pay an approved statement: ``offline`` records a bank transfer (``reference``
        required); ``stripe`` transfers the amount due to the merchant's connected account, the
        statement's id as idempotency key. Status ``paid`` (admin)."""
        statement = _ours(statement_id)
        with market_errors():
            actions.do_record_payment(g.actor, statement, body["method"], body["reference"])
        return schemas.detail(statement)


@community_side.route("/<statement_id>/close")
class CloseStatement(MethodView):
    @community_side.response(200, schemas.StatementOut)
    @community_side.alt_response(409, description=WRONG_STEP + ": `not_paid`, `already_closed`")
    def post(self, statement_id):
        """File a paid statement: status ``closed`` (admin)."""
        statement = _ours(statement_id)
        with market_errors():
            actions.do_close_statement(g.actor, statement)
        return schemas.detail(statement)


# --- closing a month ---------------------------------------------------------------------


@platform.route("/close")
class CloseMonth(MethodView):
    @platform.arguments(schemas.CloseIn)
    @platform.response(200, schemas.CloseOut)
    @platform.alt_response(409, description="`month_not_over`")
    def post(self, body):
        """Close a finished month: one statement per merchant and community with redemptions
        in it. Calling it again creates nothing new (platform admin)."""
        user = authenticated_user()
        if not user.is_platform_admin:
            raise ApiError(403, "forbidden", _("You are not allowed to do this."))
        with market_errors():
            done = closing.do_close_month(body["month"], actor=user)
        slugs = {c.id: c.slug for c in closing.communities_for()}
        return {
            "month": body["month"],
            "statements_created": sum(c.statements for c in done if not c.already),
            "communities": [{"community": slugs.get(c.community_id), "statements": c.statements,
                             "vouchers": c.vouchers, "already_closed": c.already} for c in done],
        }
