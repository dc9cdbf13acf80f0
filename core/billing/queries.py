"""Reads of the billing rows, always for one payer (the community or district in the URL)."""

from flask import current_app
from sqlalchemy import select

from core.billing.models import BillingCustomer, BillingSubscription, PayerKind
from core.extensions import db


def price_for(kind: PayerKind) -> str | None:
    return (current_app.config.get("BILLING_PRICES") or {}).get(str(kind))


def billing_enabled() -> bool:
    """Stripe configured and at least one plan priced; otherwise no billing at all (the
    laptop default): no pages to pay, no banner."""
    from core.payments.gateway import stripe_enabled

    prices = current_app.config.get("BILLING_PRICES") or {}
    return any(prices.values()) and stripe_enabled()


def _payer_column(kind: PayerKind):
    return BillingCustomer.community_id if kind == PayerKind.COMMUNITY else BillingCustomer.district_id


def customer_of(kind: PayerKind, payer_id) -> BillingCustomer | None:
    return db.session.scalar(select(BillingCustomer).where(_payer_column(kind) == payer_id))


def subscriptions_of(kind: PayerKind, payer_id) -> list[BillingSubscription]:
    return list(db.session.scalars(
        select(BillingSubscription).join(BillingCustomer)
        .where(_payer_column(kind) == payer_id)
        .order_by(BillingSubscription.created_at.desc())))


def current_subscription(kind: PayerKind, payer_id) -> BillingSubscription | None:
    """The live one if any, else the newest (ended) one."""
    rows = subscriptions_of(kind, payer_id)
    return next((s for s in rows if s.is_live), rows[0] if rows else None)


def live_subscription(kind: PayerKind, payer_id) -> BillingSubscription | None:
    found = current_subscription(kind, payer_id)
    return found if found is not None and found.is_live else None
