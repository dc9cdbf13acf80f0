"""Subscribing a community or a district to its plan, and Stripe's word on how it goes.

Stripe is called outside any database transaction; each local write is its own ``atomic``.
Idempotency keys are derived from our rows (the payer; the customer and how many
subscriptions it has had), so a retry after a lost answer gets the same Stripe object back.
"""

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.audit.actions import record
from core.billing.models import BillingCustomer, BillingSubscription, PayerKind
from core.billing.queries import customer_of, live_subscription, price_for
from core.errors import ActionError, conflict
from core.extensions import db
from core.payments.gateway import (
    PaymentFailed,
    PaymentsUnavailable,
    SubscriptionState,
    invoice_subscription_id,
    payments_gateway,
    subscription_state,
)
from core.tenancy.models import Community
from core.transactions import atomic
from core.types import utcnow


def _audit_ids(kind: PayerKind, payer_id) -> dict:
    return {"community_id": payer_id} if kind == PayerKind.COMMUNITY else {}


def do_subscribe(user, kind: PayerKind, payer, *, email: str, name: str) -> BillingSubscription:
    """Start the payer's plan: a Stripe customer (made once) and a subscription, invoiced."""
    price = price_for(kind)
    if price is None:
        raise conflict("billing_not_set_up", _("Billing is not set up on this platform."))
    if live_subscription(kind, payer.id) is not None:
        raise conflict("already_subscribed", _("There is already a subscription."))
    if isinstance(payer, Community) and live_subscription(PayerKind.DISTRICT, payer.district_id):
        raise conflict("district_pays", _("Your district pays for the service."))
    payer_id = payer.id
    customer = customer_of(kind, payer_id)
    used = db.session.scalar(select(func.count()).select_from(BillingSubscription)
                             .where(BillingSubscription.customer_id == customer.id)) if customer else 0
    db.session.rollback()  # no transaction held open across Stripe's network calls
    gateway = payments_gateway()
    try:
        if customer is None:
            customer_id = gateway.create_customer(
                name=name, email=email, metadata={"linli_payer": str(kind), "linli_id": str(payer_id)},
                idempotency_key=f"linli-customer-{kind}-{payer_id}")
            customer = _keep_customer(kind, payer_id, customer_id, email)
        state = gateway.create_subscription(
            customer_id=customer.stripe_customer_id, price_id=price,
            metadata={"linli_payer": str(kind), "linli_id": str(payer_id)},
            idempotency_key=f"linli-subscription-{customer.id}-{used}")
    except PaymentsUnavailable as exc:
        raise conflict("billing_not_set_up", _("Billing is not set up on this platform.")) from exc
    except PaymentFailed as exc:
        raise ActionError(502, f"stripe_{exc.code}",
                          _("Stripe did not answer as expected. Please try again later.")) from exc
    return _keep_subscription(user, kind, payer_id, customer.id, state)


def _keep_customer(kind, payer_id, stripe_id: str, email: str) -> BillingCustomer:
    column = "community_id" if kind == PayerKind.COMMUNITY else "district_id"
    try:
        with atomic():
            row = BillingCustomer(stripe_customer_id=stripe_id, email=email, **{column: payer_id})
            db.session.add(row)
    except IntegrityError:
        row = customer_of(kind, payer_id)  # a concurrent request kept it (same customer)
        if row is None:
            raise
    return row


def _keep_subscription(user, kind, payer_id, customer_row_id, state: SubscriptionState):
    try:
        with atomic():
            row = BillingSubscription(customer_id=customer_row_id,
                                      stripe_subscription_id=state.subscription_id, plan=str(kind))
            _apply_state(row, state)
            db.session.add(row)
            db.session.flush()
            record("billing.subscribed", user, **_audit_ids(kind, payer_id), plan=str(kind),
                   subscription=state.subscription_id, status=state.status)
    except IntegrityError:
        row = db.session.scalar(select(BillingSubscription).where(
            BillingSubscription.stripe_subscription_id == state.subscription_id))
        if row is None:
            raise
    return row


def _apply_state(row: BillingSubscription, state: SubscriptionState) -> None:
    from datetime import UTC, datetime

    row.status = state.status
    row.price_id = state.price_id or row.price_id
    row.amount_minor = state.amount_minor if state.amount_minor is not None else row.amount_minor
    row.currency = state.currency or row.currency
    row.interval = state.interval or row.interval
    if state.current_period_end:
        row.current_period_end = datetime.fromtimestamp(state.current_period_end, UTC)
    row.cancel_at_period_end = state.cancel_at_period_end
    row.latest_invoice_id = state.latest_invoice or row.latest_invoice_id
    row.updated_at = utcnow()


def _locked(stripe_subscription_id) -> BillingSubscription | None:
    if not isinstance(stripe_subscription_id, str):
        return None
    return db.session.scalar(select(BillingSubscription).where(
        BillingSubscription.stripe_subscription_id == stripe_subscription_id).with_for_update())


def _payer_audit(row: BillingSubscription) -> dict:
    customer = db.session.get(BillingCustomer, row.customer_id)
    return {"community_id": customer.community_id} if customer.community_id else {}


# Webhook handlers: run inside the webhook's transaction (core.payments.webhooks), which
# records the event id with their effect.

def apply_subscription_event(obj: dict, event: dict) -> str:
    """customer.subscription.created / updated / deleted."""
    row = _locked(obj.get("id"))
    if row is None:
        return "unknown"
    created = event.get("created") if isinstance(event.get("created"), int) else None
    if row.stripe_event_at and created and created < row.stripe_event_at:
        return "stale"  # Stripe does not promise order: an older state never overwrites
    state = subscription_state(obj)
    before = row.status
    _apply_state(row, state)
    if created:
        row.stripe_event_at = created
    record("billing.subscription_status", None, **_payer_audit(row), stripe_event=event.get("id"),
           subscription=row.stripe_subscription_id, before=before, status=row.status)
    return "applied"


def apply_invoice_event(obj: dict, event: dict) -> str:
    """invoice.payment_failed / invoice.paid: the invoice to pay (Stripe's hosted page)."""
    row = _locked(invoice_subscription_id(obj))
    if row is None:
        return "unknown"
    created = event.get("created") if isinstance(event.get("created"), int) else None
    if row.invoice_event_at and created and created < row.invoice_event_at:
        return "stale"
    failed = event.get("type") == "invoice.payment_failed"
    invoice_id = obj.get("id")
    row.latest_invoice_id = invoice_id if isinstance(invoice_id, str) else row.latest_invoice_id
    url = obj.get("hosted_invoice_url")
    row.invoice_url = url[:1000] if isinstance(url, str) and url.startswith("https://") else None
    row.last_payment_failed = failed
    row.invoice_event_at = created or row.invoice_event_at
    row.updated_at = utcnow()
    record("billing.invoice", None, **_payer_audit(row), stripe_event=event.get("id"),
           subscription=row.stripe_subscription_id, invoice=invoice_id,
           outcome="payment_failed" if failed else "paid")
    return "applied"
