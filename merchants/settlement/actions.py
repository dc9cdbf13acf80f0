"""The statement's workflow, each step an audited action that owns its transaction:

    issued ──confirm──> confirmed ──approve──> approved ──pay──> paid ──close──> closed
      │  ^                 ^
   dispute│                │ confirm (the corrected statement, or withdrawing the dispute)
      v  │                 │
    disputed ──credit note──> adjusted ──dispute──> disputed ...

The merchant (its owner) confirms or disputes; the community (its admin) issues credit notes,
approves, records the payment and closes. Every step moves the status with a guarded
``UPDATE ... WHERE status IN (...)`` and checks the row count, so of two people clicking at
once one wins and the other gets the 409 that a wrong step gets.

Paying through Stripe calls the gateway outside any database transaction (a network call must
not hold SQLite's write lock or a PostgreSQL row lock), with the statement's id as the
idempotency key: a retry after a lost answer or a failed commit gets Stripe's first transfer
back, never a second one.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from core.audit.actions import record
from core.extensions import db
from core.payments.gateway import PaymentFailed, PaymentsUnavailable, payments_gateway
from core.transactions import atomic
from core.types import utcnow
from merchants.errors import MarketError
from merchants.money import amount_text
from merchants.settlement.models import (
    CreditNote,
    PaymentMethod,
    Statement,
    StatementLine,
    StatementPayment,
)
from merchants.settlement.models import StatementStatus as S
from merchants.settlement.queries import line_of, parties

REASON_MAX = 300
REFERENCE_MAX = 120

STATUS_WORDS = {
    S.ISSUED: _l("waiting for the merchant's check"),
    S.DISPUTED: _l("disputed by the merchant"),
    S.ADJUSTED: _l("corrected by a credit note, waiting for the merchant's check"),
    S.CONFIRMED: _l("confirmed by the merchant"),
    S.APPROVED: _l("approved for payment"),
    S.PAID: _l("paid"),
    S.CLOSED: _l("closed"),
}

OPEN_TO_MERCHANT = (S.ISSUED, S.DISPUTED, S.ADJUSTED)


def _wrong_step(code: str, statement: Statement, message: str) -> MarketError:
    return MarketError(code, message, status=409, current_status=statement.status.value)


def _move(statement: Statement, allowed, to: S, refuse, **values) -> None:
    """Move ``statement`` from one of ``allowed`` to ``to``, or raise ``refuse(statement)``."""
    now = utcnow()
    result = db.session.execute(
        update(Statement)
        .where(Statement.community_id == statement.community_id, Statement.id == statement.id,
               Statement.status.in_(allowed))
        .values(status=to, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(statement)
    if result.rowcount != 1:
        raise refuse(statement)


def _reason(value, field="reason", required=True) -> str | None:
    text = (value or "").strip() if isinstance(value, str | type(None)) else None
    if text is None or (required and not text):
        raise MarketError("invalid", _("Say why, in a few words."), status=422, field=field)
    if len(text) > REASON_MAX:
        raise MarketError("invalid", _("At most %(n)d characters.", n=REASON_MAX), status=422, field=field)
    return text or None


# --- the merchant ------------------------------------------------------------------------


def _confirm_refused(statement):
    if statement.status == S.CONFIRMED:
        return _wrong_step("already_confirmed", statement, _("This statement is already confirmed."))
    return _wrong_step("statement_locked", statement,
                       _("This statement is %(status)s: it can no longer be confirmed.",
                         status=STATUS_WORDS[statement.status]))


def do_confirm(merchant_actor, statement: Statement) -> Statement:
    """The merchant agrees with the statement (or with its correction)."""
    with atomic():
        _move(statement, OPEN_TO_MERCHANT, S.CONFIRMED, _confirm_refused, confirmed_at=utcnow())
        record("settlement.statement_confirmed", merchant_actor.user, community_id=statement.community_id,
               merchant_id=statement.merchant_id, statement=statement.id)
    return statement


def _dispute_refused(statement):
    return _wrong_step("statement_locked", statement,
                       _("This statement is %(status)s: it can no longer be disputed.",
                         status=STATUS_WORDS[statement.status]))


def do_dispute(merchant_actor, statement: Statement, reason, line_ids=()) -> Statement:
    """The merchant questions the statement, or some of its lines, saying why."""
    reason = _reason(reason)
    with atomic():
        lines = []
        for line_id in line_ids or ():
            line = line_of(statement, line_id)
            if line is None:
                raise MarketError("invalid", _("This line is not on the statement."), status=422,
                                  field="lines")
            lines.append(line)
        _move(statement, OPEN_TO_MERCHANT, S.DISPUTED, _dispute_refused, disputed_reason=reason)
        now = utcnow()
        for line in lines:
            db.session.execute(
                update(StatementLine)
                .where(StatementLine.community_id == line.community_id, StatementLine.id == line.id)
                .values(disputed_reason=reason, disputed_at=now)
                .execution_options(synchronize_session=False))
        record("settlement.statement_disputed", merchant_actor.user, community_id=statement.community_id,
               merchant_id=statement.merchant_id, statement=statement.id, reason=reason,
               lines=[line.id for line in lines])
    return statement


# --- the community -----------------------------------------------------------------------


def _adjust_refused(statement):
    return _wrong_step("statement_locked", statement,
                       _("This statement is %(status)s: it can no longer be corrected.",
                         status=STATUS_WORDS[statement.status]))


def do_credit_note(actor, statement: Statement, amount_minor, reason, line_id=None) -> CreditNote:
    """The community corrects the statement: the amount due goes down by ``amount_minor``, and
    the merchant is asked to confirm the corrected statement."""
    reason = _reason(reason)
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise MarketError("invalid", _("A credit note is for an amount above zero."), status=422,
                          field="amount")
    with atomic():
        line = None
        if line_id:
            line = line_of(statement, line_id)
            if line is None:
                raise MarketError("invalid", _("This line is not on the statement."), status=422,
                                  field="line")
        if statement.status not in (*OPEN_TO_MERCHANT, S.CONFIRMED):
            raise _adjust_refused(statement)
        if amount_minor > statement.due_minor:
            raise MarketError(
                "invalid", _("At most %(amount)s: what is still due on this statement.",
                             amount=amount_text(statement.due_minor, statement.currency)),
                status=422, field="amount")
        # guarded: the credit and the status move together, and never past the amount
        result = db.session.execute(
            update(Statement)
            .where(Statement.community_id == statement.community_id, Statement.id == statement.id,
                   Statement.status.in_((*OPEN_TO_MERCHANT, S.CONFIRMED)),
                   Statement.credited_minor + amount_minor <= Statement.amount_minor)
            .values(status=S.ADJUSTED, credited_minor=Statement.credited_minor + amount_minor,
                    updated_at=utcnow(), confirmed_at=None)
            .execution_options(synchronize_session=False))
        db.session.refresh(statement)
        if result.rowcount != 1:
            raise _adjust_refused(statement)
        note = CreditNote(community_id=statement.community_id, statement_id=statement.id,
                          merchant_id=statement.merchant_id, line_id=line.id if line else None,
                          amount_minor=amount_minor, currency=statement.currency, reason=reason,
                          created_by=actor.user.id)
        db.session.add(note)
        db.session.flush()
        record("settlement.credit_note", actor.user, community_id=statement.community_id,
               merchant_id=statement.merchant_id, statement=statement.id, credit_note=note.id,
               amount_minor=amount_minor, currency=statement.currency, line=line.id if line else None,
               reason=reason)
    return note


def _approve_refused(statement):
    if statement.status in (S.APPROVED, S.PAID, S.CLOSED):
        return _wrong_step("already_approved", statement, _("This statement is already approved."))
    return _wrong_step("not_confirmed", statement,
                       _("Only a statement the merchant has confirmed can be approved; this one is %(status)s.",
                         status=STATUS_WORDS[statement.status]))


def do_approve(actor, statement: Statement) -> Statement:
    with atomic():
        _move(statement, (S.CONFIRMED,), S.APPROVED, _approve_refused, approved_at=utcnow())
        record("settlement.statement_approved", actor.user, community_id=statement.community_id,
               merchant_id=statement.merchant_id, statement=statement.id, due_minor=statement.due_minor,
               currency=statement.currency)
    return statement


def _pay_refused(statement):
    if statement.status in (S.PAID, S.CLOSED):
        return _wrong_step("already_paid", statement, _("This statement is already paid."))
    return _wrong_step("not_approved", statement,
                       _("Only an approved statement can be paid; this one is %(status)s.",
                         status=STATUS_WORDS[statement.status]))


def _transfer(statement: Statement) -> str:
    """Pay the amount due by a Stripe transfer; returns its reference (``tr_...``)."""
    community, merchant = parties(statement)
    description = f"Linli {statement.month} · {community.name} → {merchant.name}"[:200]
    due, currency, merchant_id, key = (statement.due_minor, statement.currency,
                                       str(statement.merchant_id), str(statement.id))
    db.session.rollback()  # no transaction (and no lock) held across the network call
    try:
        transfer = payments_gateway().transfer(
            merchant_id=merchant_id, amount_minor=due, currency=currency,
            idempotency_key=key, description=description)
    except PaymentsUnavailable as exc:
        raise MarketError("payments_unavailable",
                          _("Stripe payments are not available for this merchant: record the bank transfer instead."),
                          status=409) from exc
    except PaymentFailed as exc:
        raise MarketError("payment_failed",
                          _("Stripe refused the transfer (%(code)s). Nothing was paid; try again later "
                            "or record a bank transfer.", code=exc.code),
                          status=502, provider_code=exc.code) from exc
    return transfer.reference


def do_record_payment(actor, statement: Statement, method, reference=None) -> StatementPayment:
    """Pay an approved statement: ``offline`` records the bank transfer the community made
    (its reference is required), ``stripe`` transfers the amount due to the merchant."""
    try:
        method = PaymentMethod(method)
    except ValueError as exc:
        raise MarketError("invalid", _("Choose offline or stripe."), status=422, field="method") from exc
    reference = (reference or "").strip() if isinstance(reference, str | type(None)) else ""
    if method == PaymentMethod.OFFLINE and not reference:
        raise MarketError("invalid", _("Give the bank transfer's reference."), status=422, field="reference")
    if len(reference) > REFERENCE_MAX:
        raise MarketError("invalid", _("At most %(n)d characters.", n=REFERENCE_MAX), status=422,
                          field="reference")
    if statement.status != S.APPROVED:
        raise _pay_refused(statement)
    if method == PaymentMethod.STRIPE:
        if statement.due_minor > 0:
            reference = _transfer(statement)
        else:
            reference = "no-transfer:nothing-due"
    with atomic():
        _move(statement, (S.APPROVED,), S.PAID, _pay_refused, paid_at=utcnow())
        payment = StatementPayment(
            community_id=statement.community_id, statement_id=statement.id,
            merchant_id=statement.merchant_id, method=method, reference=reference,
            amount_minor=statement.due_minor, currency=statement.currency, created_by=actor.user.id)
        db.session.add(payment)
        db.session.flush()
        record("settlement.statement_paid", actor.user, community_id=statement.community_id,
               merchant_id=statement.merchant_id, statement=statement.id, method=method,
               reference=reference, amount_minor=payment.amount_minor, currency=payment.currency)
    return payment


def _close_refused(statement):
    if statement.status == S.CLOSED:
        return _wrong_step("already_closed", statement, _("This statement is already closed."))
    return _wrong_step("not_paid", statement,
                       _("Only a paid statement can be closed; this one is %(status)s.",
                         status=STATUS_WORDS[statement.status]))


def do_close_statement(actor, statement: Statement) -> Statement:
    """File a paid statement: nothing more happens to it."""
    with atomic():
        _move(statement, (S.PAID,), S.CLOSED, _close_refused, closed_at=utcnow())
        record("settlement.statement_closed", actor.user, community_id=statement.community_id,
               merchant_id=statement.merchant_id, statement=statement.id)
    return statement
