"""Connecting a merchant's Stripe account, and keeping our copy of its status."""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.audit.actions import record
from core.errors import ActionError, conflict
from core.extensions import db
from core.ids import parse_id
from core.payments.gateway import (
    AccountStatus,
    PaymentFailed,
    PaymentsUnavailable,
    account_status,
    payments_gateway,
)
from core.transactions import atomic
from core.types import utcnow
from merchants.payments.models import ConnectedAccount

FLAGS = ("charges_enabled", "payouts_enabled", "details_submitted", "transfers_active")


def connected_account(merchant_id) -> ConnectedAccount | None:
    return db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.merchant_id == merchant_id))


def destination(merchant_id) -> AccountStatus | None:
    """For the gateway's transfers (registered with ``register_destination_lookup``); the
    merchant's id as a UUID or its text."""
    merchant_id = parse_id(merchant_id)
    row = merchant_id and connected_account(merchant_id)
    return row.status() if row else None


def do_connect(actor, *, refresh_url: str, return_url: str) -> str:
    """The onboarding link for the actor's merchant, making its Express account first if it
    has none (once: the idempotency key is the merchant's, and the row is unique per
    merchant). Stripe is called outside any database transaction."""
    merchant = actor.merchant
    row = connected_account(merchant.id)
    db.session.rollback()  # no transaction held open across Stripe's network calls
    gateway = payments_gateway()
    try:
        if row is None:
            status = gateway.create_connected_account(
                merchant_id=str(merchant.id), email=None,
                idempotency_key=f"linli-connect-account-{merchant.id}")
            row = _keep_account(actor, status)
        return gateway.onboarding_link(account_id=row.stripe_account_id,
                                       refresh_url=refresh_url, return_url=return_url)
    except PaymentsUnavailable as exc:
        raise conflict("stripe_not_configured", _("Payments through Stripe are not set up.")) from exc
    except PaymentFailed as exc:
        raise ActionError(502, f"stripe_{exc.code}",
                          _("Stripe did not answer as expected. Please try again later.")) from exc


def _keep_account(actor, status: AccountStatus) -> ConnectedAccount:
    try:
        with atomic():
            row = ConnectedAccount(merchant_id=actor.merchant.id, stripe_account_id=status.account_id,
                                   updated_at=utcnow(), **{f: getattr(status, f) for f in FLAGS})
            db.session.add(row)
            db.session.flush()
            record("merchant.stripe_connected", actor.user, merchant_id=actor.merchant.id,
                   account=status.account_id)
    except IntegrityError:
        # a second click got there first (the same account: same idempotency key)
        row = connected_account(actor.merchant.id)
        if row is None:
            raise
    return row


def do_refresh(actor) -> ConnectedAccount | None:
    """Back from onboarding: read the account's status now (webhooks may come later)."""
    row = connected_account(actor.merchant.id)
    if row is None:
        return None
    account_id = row.stripe_account_id
    db.session.rollback()
    try:
        status = payments_gateway().account(account_id)
    except (PaymentsUnavailable, PaymentFailed):
        return connected_account(actor.merchant.id)  # keep what we know; the webhook follows
    with atomic():
        row = connected_account(actor.merchant.id)
        _apply(row, status, None)
        record("merchant.stripe_status", actor.user, merchant_id=row.merchant_id,
               **{f: getattr(status, f) for f in FLAGS})
    return row


def apply_account_updated(obj: dict, event: dict) -> str:
    """``account.updated`` (webhook, inside its transaction): our row, if the account is
    ours."""
    row = db.session.scalar(select(ConnectedAccount).where(
        ConnectedAccount.stripe_account_id == str(obj.get("id"))).with_for_update())
    if row is None:
        return "unknown"
    created = event.get("created")
    if row.stripe_event_at and isinstance(created, int) and created < row.stripe_event_at:
        return "stale"
    status = account_status(obj)
    _apply(row, status, created if isinstance(created, int) else None)
    record("merchant.stripe_status", None, merchant_id=row.merchant_id, stripe_event=event.get("id"),
           **{f: getattr(status, f) for f in FLAGS})
    return "applied"


def _apply(row: ConnectedAccount, status: AccountStatus, event_at: int | None) -> None:
    for flag in FLAGS:
        setattr(row, flag, getattr(status, flag))
    row.updated_at = utcnow()
    if event_at:
        row.stripe_event_at = event_at
