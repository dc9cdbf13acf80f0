"""The one small interface behind which every Stripe call lives.

Settlement pays a merchant through ``payments_gateway().transfer(...)``; billing and Connect
onboarding go through the same object. The app's ``PAYMENTS_PROVIDER`` picks the
implementation: ``offline`` (the laptop default: no money moves through us, a community
records the bank transfer it made) or ``stripe``. Tests swap in a fake built on Stripe's
documented response shapes with ``use_gateway``; nothing else in the code base imports
``stripe``.
"""

from dataclasses import dataclass
from typing import Protocol

from flask import current_app


class PaymentsUnavailable(Exception):
    """The configured provider cannot do this (offline has no transfers; a merchant has no
    connected account yet)."""


class PaymentFailed(Exception):
    """The provider refused or failed; ``code`` is stable, the message for logs."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code


@dataclass(frozen=True)
class Transfer:
    reference: str  # the provider's id (Stripe: "tr_..."), kept on the payment


class PaymentsGateway(Protocol):
    name: str

    def transfer(self, *, merchant_id: str, amount_minor: int, currency: str,
                 idempotency_key: str, description: str) -> Transfer:
        """Pay ``amount_minor`` to the merchant's connected account. The same
        ``idempotency_key`` (the statement's id) never pays twice."""


class OfflineGateway:
    """No provider: payments are bank transfers a community records by hand."""

    name = "offline"

    def transfer(self, *, merchant_id, amount_minor, currency, idempotency_key, description):
        raise PaymentsUnavailable("offline: record the bank transfer instead")


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


def _build(provider: str) -> PaymentsGateway:
    if provider == "offline":
        return OfflineGateway()
    raise RuntimeError(f"unknown PAYMENTS_PROVIDER {provider!r}")
