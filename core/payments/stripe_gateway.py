"""The Stripe implementation of the payments gateway: the only module that imports ``stripe``.

One ``StripeClient`` per app, its API version pinned (``API_VERSION``): responses and webhook
events are read in that version's shapes, and an event of another version is refused
(``core.payments.webhooks``). ``api_base`` points the client elsewhere (localstripe, or the
tests' fake of Connect).

Money safety: every create call carries an idempotency key, so a retry (ours, or the client's
own network retries) returns the first object instead of making a second one. Stripe forgets
idempotency keys after 24 hours, so ``transfer`` also looks for a transfer already made for the
same key (its ``transfer_group``) before it creates one: a retry days later still pays once.
"""

import stripe

from core.payments.gateway import (
    AccountStatus,
    PaymentFailed,
    PaymentsUnavailable,
    SubscriptionState,
    Transfer,
    account_status,
    destination_for,
    subscription_state,
)

# The API version this code reads. Webhook endpoints must be created with it (README).
API_VERSION = "2026-10-28.endive"
SIGNATURE_TOLERANCE_SECONDS = 300


class StripeGateway:
    name = "stripe"

    def __init__(self, api_key: str, *, api_base: str | None = None, days_until_due: int = 30,
                 max_network_retries: int = 2):
        addresses = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(
            api_key, stripe_version=API_VERSION, base_addresses=addresses,
            max_network_retries=max_network_retries)
        self.days_until_due = days_until_due

    # Connect: pay merchants -------------------------------------------------------------

    def transfer(self, *, merchant_id, amount_minor, currency, idempotency_key, description):
        if not isinstance(amount_minor, int) or amount_minor <= 0:
            raise PaymentFailed("invalid_amount", f"amount {amount_minor!r}")
        account = destination_for(merchant_id)
        if account is None:
            raise PaymentsUnavailable("the merchant has no connected Stripe account")
        if not account.ready:
            raise PaymentsUnavailable("the merchant's Stripe onboarding is not complete")
        group = f"linli-{idempotency_key}"
        earlier = _call(lambda: self.client.v1.transfers.list(
            params={"transfer_group": group, "destination": account.account_id, "limit": 10}))
        for made in earlier.data:
            if made.amount != amount_minor or made.currency != currency.lower():
                raise PaymentFailed("idempotency_key_reused",
                                    f"{made.id} was made for this key with another amount")
            return Transfer(made.id)
        made = _call(lambda: self.client.v1.transfers.create(
            params={
                "amount": amount_minor,
                "currency": currency.lower(),
                "destination": account.account_id,
                "description": description[:500],
                "transfer_group": group,
                "metadata": {"merchant_id": str(merchant_id), "idempotency_key": idempotency_key},
            },
            options={"idempotency_key": idempotency_key}))
        return Transfer(made.id)

    def create_connected_account(self, *, merchant_id, email, idempotency_key) -> AccountStatus:
        params = {
            "type": "express",
            # the platform only sends money to merchants: transfers are all they need
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"merchant_id": str(merchant_id)},
        }
        if email:
            params["email"] = email
        account = _call(lambda: self.client.v1.accounts.create(
            params=params, options={"idempotency_key": idempotency_key}))
        return account_status(account.to_dict())

    def onboarding_link(self, *, account_id, refresh_url, return_url) -> str:
        link = _call(lambda: self.client.v1.account_links.create(params={
            "account": account_id, "type": "account_onboarding",
            "refresh_url": refresh_url, "return_url": return_url}))
        return link.url

    def account(self, account_id) -> AccountStatus:
        return account_status(_call(lambda: self.client.v1.accounts.retrieve(account_id)).to_dict())

    # Billing: communities and districts pay the platform ---------------------------------

    def create_customer(self, *, name, email, metadata, idempotency_key) -> str:
        customer = _call(lambda: self.client.v1.customers.create(
            params={"name": name, "email": email, "metadata": metadata},
            options={"idempotency_key": idempotency_key}))
        return customer.id

    def create_subscription(self, *, customer_id, price_id, metadata,
                            idempotency_key) -> SubscriptionState:
        # Public bodies pay invoices (bank transfer, or card on Stripe's hosted invoice page):
        # Stripe emails each invoice, due in ``days_until_due``; unpaid, it goes past_due.
        subscription = _call(lambda: self.client.v1.subscriptions.create(
            params={
                "customer": customer_id,
                "items": [{"price": price_id}],
                "collection_method": "send_invoice",
                "days_until_due": self.days_until_due,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key}))
        return subscription_state(subscription.to_dict())


def verify_signature(payload: bytes, signature: str, secrets: list[str]) -> str:
    """The payload's text if ``signature`` (the Stripe-Signature header) was made with one of
    ``secrets`` within the tolerance (Stripe's scheme, checked by the ``stripe`` library);
    ``ValueError`` otherwise."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("payload is not UTF-8") from exc
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(text, signature, secret,
                                                  SIGNATURE_TOLERANCE_SECONDS)
        except stripe.SignatureVerificationError:
            continue
        return text
    raise ValueError("no configured secret made this signature")


def _call(fn):
    """Run one Stripe request; its errors become ``PaymentFailed`` with a stable code."""
    try:
        return fn()
    except stripe.IdempotencyError as exc:
        raise PaymentFailed("idempotency_key_reused", str(exc)) from exc
    except stripe.InvalidRequestError as exc:
        # Stripe's documented error codes (balance_insufficient, resource_missing...) are
        # stable words already; a 404 without one is still "missing"
        code = exc.code or ("resource_missing" if exc.http_status == 404 else "invalid_request")
        raise PaymentFailed(code, str(exc)) from exc
    except stripe.CardError as exc:
        raise PaymentFailed(exc.code or "card_declined", str(exc)) from exc
    except (stripe.AuthenticationError, stripe.PermissionError) as exc:
        raise PaymentFailed("provider_credentials_refused", str(exc)) from exc
    except stripe.RateLimitError as exc:
        raise PaymentFailed("provider_busy", str(exc), retryable=True) from exc
    except stripe.APIConnectionError as exc:
        raise PaymentFailed("provider_unreachable", str(exc), retryable=True) from exc
    except stripe.StripeError as exc:
        raise PaymentFailed("provider_error", str(exc), retryable=True) from exc
