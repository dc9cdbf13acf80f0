"""The one small interface behind which every Stripe call lives.

Settlement pays a merchant through ``payments_gateway().transfer(...)``; billing and Connect
onboarding go through the same object. The app's ``PAYMENTS_PROVIDER`` picks the
implementation: ``offline`` (the laptop default: no money moves through us, a community
records the bank transfer it made) or ``stripe`` (``core.payments.stripe_gateway``, the only
module that imports ``stripe``). Tests swap in another with ``use_gateway``.

Stripe's objects come back as plain dicts and are read here, by ``account_status`` and
``subscription_state``, the same way whether they arrive as an API response or inside a
webhook event: one reading of Stripe's shapes, not two.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from flask import current_app


class PaymentsUnavailable(Exception):
    """The configured provider cannot do this (offline has no transfers; a merchant has no
    connected account yet)."""


class PaymentFailed(Exception):
    """The provider refused or failed; ``code`` is stable, the message for logs.

    ``retryable``: the request may not have reached the provider, or it was busy; the same
    call with the same idempotency key may be sent again (it never pays twice)."""

    def __init__(self, code: str, message: str = "", *, retryable: bool = False):
        super().__init__(message or code)
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class Transfer:
    reference: str  # the provider's id (Stripe: "tr_..."), kept on the payment


@dataclass(frozen=True)
class AccountStatus:
    """A merchant's connected account as Stripe reports it."""

    account_id: str
    charges_enabled: bool = False
    payouts_enabled: bool = False
    details_submitted: bool = False
    transfers_active: bool = False  # the ``transfers`` capability is ``active``

    @property
    def ready(self) -> bool:
        """Onboarding complete: the account can receive transfers and pay them out."""
        return self.details_submitted and self.payouts_enabled and self.transfers_active


@dataclass(frozen=True)
class SubscriptionState:
    subscription_id: str
    customer_id: str | None
    status: str  # Stripe's word: active, past_due, unpaid, canceled, incomplete...
    price_id: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    interval: str | None = None
    current_period_end: int | None = None  # unix seconds
    cancel_at_period_end: bool = False
    latest_invoice: str | None = None


class PaymentsGateway(Protocol):
    name: str

    def transfer(self, *, merchant_id: str, amount_minor: int, currency: str,
                 idempotency_key: str, description: str) -> Transfer:
        """Pay ``amount_minor`` to the merchant's connected account. The same
        ``idempotency_key`` (the statement's id) never pays twice."""

    # Connect (merchants): an Express account, its onboarding link, its status.
    def create_connected_account(self, *, merchant_id: str, email: str | None,
                                 idempotency_key: str) -> AccountStatus: ...

    def onboarding_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str: ...

    def account(self, account_id: str) -> AccountStatus: ...

    # Billing (communities and districts pay the platform).
    def create_customer(self, *, name: str, email: str, metadata: dict,
                        idempotency_key: str) -> str: ...

    def create_subscription(self, *, customer_id: str, price_id: str, metadata: dict,
                            idempotency_key: str) -> SubscriptionState: ...


class OfflineGateway:
    """No provider: payments are bank transfers a community records by hand."""

    name = "offline"

    def transfer(self, *, merchant_id, amount_minor, currency, idempotency_key, description):
        raise PaymentsUnavailable("offline: record the bank transfer instead")

    def _unavailable(self, *args, **kwargs):
        raise PaymentsUnavailable("offline: Stripe is not configured")

    create_connected_account = onboarding_link = account = _unavailable
    create_customer = create_subscription = _unavailable


def payments_gateway() -> PaymentsGateway:
    """The current app's gateway (one per app, built on first use)."""
    gateway = current_app.extensions.get("payments_gateway")
    if gateway is None:
        gateway = _build(current_app.config.get("PAYMENTS_PROVIDER", "offline"))
        current_app.extensions["payments_gateway"] = gateway
    return gateway


def use_gateway(app, gateway: PaymentsGateway) -> None:
    """Install ``gateway`` on ``app`` (tests: a fake; production: built from config)."""
    app.extensions["payments_gateway"] = gateway


def stripe_enabled() -> bool:
    return payments_gateway().name == "stripe"


def _build(provider: str) -> PaymentsGateway:
    if provider == "offline":
        return OfflineGateway()
    if provider == "stripe":
        from core.payments.stripe_gateway import StripeGateway

        config = current_app.config
        return StripeGateway(config["STRIPE_SECRET_KEY"], api_base=config.get("STRIPE_API_BASE"),
                             days_until_due=config.get("STRIPE_DAYS_UNTIL_DUE", 30))
    raise RuntimeError(f"unknown PAYMENTS_PROVIDER {provider!r}")


# Where a merchant is paid: merchants.payments registers the lookup (core never imports
# merchants). ``fn(merchant_id) -> AccountStatus | None``.
_destination_lookups: list[Callable] = []


def register_destination_lookup(fn: Callable) -> Callable:
    if fn not in _destination_lookups:
        _destination_lookups.append(fn)
    return fn


def destination_for(merchant_id) -> AccountStatus | None:
    for lookup in _destination_lookups:
        found = lookup(merchant_id)
        if found is not None:
            return found
    return None


# Reading Stripe's shapes (an API response or an event's ``data.object``), tolerant of the
# fields that moved between API versions and of those a test double leaves out.

def account_status(obj: Mapping) -> AccountStatus:
    capabilities = obj.get("capabilities") or {}
    return AccountStatus(
        account_id=obj["id"],
        charges_enabled=bool(obj.get("charges_enabled")),
        payouts_enabled=bool(obj.get("payouts_enabled")),
        details_submitted=bool(obj.get("details_submitted")),
        transfers_active=capabilities.get("transfers") == "active",
    )


def subscription_state(obj: Mapping) -> SubscriptionState:
    items = ((obj.get("items") or {}).get("data")) or [{}]
    item = items[0] or {}
    # ``price`` since 2020; ``plan`` before (and still sent alongside it)
    price = item.get("price") or item.get("plan") or {}
    if isinstance(price, str):
        price = {"id": price}
    recurring = price.get("recurring") or {}
    amount = price.get("unit_amount", price.get("amount"))
    # since 2025-03-31 the period is on each item; before, on the subscription
    period_end = item.get("current_period_end") or obj.get("current_period_end")
    latest = obj.get("latest_invoice")
    return SubscriptionState(
        subscription_id=obj["id"],
        customer_id=_id_of(obj.get("customer")),
        status=str(obj.get("status") or "incomplete"),
        price_id=price.get("id"),
        amount_minor=int(amount) if amount is not None else None,
        currency=(price.get("currency") or "").upper() or None,
        interval=recurring.get("interval") or price.get("interval"),
        current_period_end=int(period_end) if period_end else None,
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
        latest_invoice=_id_of(latest),
    )


def invoice_subscription_id(invoice: Mapping) -> str | None:
    """The subscription an invoice bills (``parent.subscription_details`` since 2025-03-31)."""
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return _id_of(details.get("subscription") or invoice.get("subscription"))


def _id_of(value) -> str | None:
    if isinstance(value, Mapping):
        return value.get("id")
    return value or None
