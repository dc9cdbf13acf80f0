"""Stripe in tests: localstripe over real HTTP for Billing, the HTTP fake of Connect and
Transfers (``stripe_fake.py``) for the rest, signed webhook deliveries, and ``stripe_on``,
which puts the session app on Stripe for one test and puts it back after."""

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import pytest
import requests

from core.config import ROOT
from core.extensions import db
from core.payments.gateway import use_gateway
from core.payments.stripe_gateway import API_VERSION, StripeGateway
from merchants.payments.models import ConnectedAccount
from tests.payments.stripe_fake import FakeStripe

WEBHOOK_SECRET = "whsec_test_platform"
CONNECT_WEBHOOK_SECRET = "whsec_test_connect"
API_KEY = "sk_test_linli"
PRICES = {"community": "price_linli_community", "district": "price_linli_district"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe():
    """A localstripe server of this run (its own port, state in memory), with the plans."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "tests.payments.localstripe_server", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/v1/customers", auth=(API_KEY, ""), timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.1)
    for kind, price in PRICES.items():
        amount = 9900 if kind == "community" else 49900
        requests.post(f"{url}/v1/plans", auth=(API_KEY, ""), timeout=5, data={
            "id": price, "amount": amount, "currency": "cny", "interval": "month",
            "product[name]": f"Linli {kind}"}).raise_for_status()
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def fake_stripe():
    fake = FakeStripe()
    fake.url = fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@contextmanager
def stripe_on(app, api_base: str, *, prices=PRICES):
    """The app on Stripe (this gateway, these prices, the webhook secrets) for a while."""
    saved_gateway = app.extensions.get("payments_gateway")
    keys = ("STRIPE_WEBHOOK_SECRET", "STRIPE_CONNECT_WEBHOOK_SECRET", "BILLING_PRICES")
    saved = {k: app.config.get(k) for k in keys}
    use_gateway(app, StripeGateway(API_KEY, api_base=api_base, max_network_retries=2))
    app.config.update(STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                      STRIPE_CONNECT_WEBHOOK_SECRET=CONNECT_WEBHOOK_SECRET, BILLING_PRICES=dict(prices))
    try:
        yield app.extensions["payments_gateway"]
    finally:
        app.config.update(saved)
        if saved_gateway is None:
            app.extensions.pop("payments_gateway", None)
        else:
            use_gateway(app, saved_gateway)


@pytest.fixture
def billing(app, localstripe, rollback):
    with stripe_on(app, localstripe) as gateway:
        yield gateway


@pytest.fixture
def connect(app, fake_stripe, rollback):
    with stripe_on(app, fake_stripe.url) as gateway:
        yield gateway


def make_event(kind: str, obj: dict, *, event_id=None, created=None, version=API_VERSION) -> dict:
    """An event as Stripe sends it (docs.stripe.com/api/events/object)."""
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event",
        "api_version": version, "created": created or int(time.time()), "livemode": False,
        "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
        "type": kind, "data": {"object": obj},
    }


def signature(payload: bytes, secret=WEBHOOK_SECRET, at=None) -> str:
    """Stripe's scheme: ``t=<unix>,v1=<HMAC-SHA256 of "<t>.<payload>" with the secret>``."""
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def deliver(client, event: dict, *, secret=WEBHOOK_SECRET, at=None, payload=None):
    body = payload if payload is not None else json.dumps(event).encode()
    return client.post("/webhooks/stripe", data=body, content_type="application/json",
                       headers={"Stripe-Signature": signature(body, secret, at)})


@pytest.fixture
def ready_m1(app, world, connect, fake_stripe):
    """m1 onboarded: an account in the fake, complete, and our row saying so."""
    with app.app_context():
        status = connect.create_connected_account(merchant_id=str(world.ids["m1"]), email=None,
                                                  idempotency_key="k-m1")
        fake_stripe.complete_onboarding(status.account_id)
        db.session.add(ConnectedAccount(merchant_id=world.ids["m1"], stripe_account_id=status.account_id,
                                        details_submitted=True, payouts_enabled=True,
                                        charges_enabled=True, transfers_active=True))
        db.session.commit()
    return status.account_id
