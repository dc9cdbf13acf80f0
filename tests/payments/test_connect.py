"""Connect for merchants and the gateway's transfers, against the HTTP fake of Stripe."""

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.extensions import db
from core.payments.gateway import (
    OfflineGateway,
    PaymentFailed,
    PaymentsUnavailable,
    payments_gateway,
)
from core.payments.stripe_gateway import StripeGateway
from merchants.payments.models import ConnectedAccount
from tests.payments.conftest import API_KEY


def _account(app, world, merchant="m1"):
    with app.app_context():
        return db.session.scalar(select(ConnectedAccount).where(
            ConnectedAccount.merchant_id == world.ids[merchant]))


def _connect(web, world, merchant="m1"):
    slug = world.slugs[merchant]
    return web.post_form(f"/m/{slug}/payments/connect", page=f"/m/{slug}/payments/")


def test_the_owner_connects_once_then_comes_back_ready(app, web, world, connect, fake_stripe):
    web.login("m1_owner")
    slug = world.slugs["m1"]
    page = web.get(f"/m/{slug}/payments/").get_data(as_text=True)
    assert 'data-test="connect-stripe"' in page

    first = _connect(web, world)
    assert first.status_code == 303
    assert first.headers["Location"].startswith("https://connect.stripe.com/setup/")
    row = _account(app, world)
    assert row is not None and row.stripe_account_id in fake_stripe.accounts
    assert not row.ready
    made = fake_stripe.accounts[row.stripe_account_id]
    assert made["type"] == "express" and made["capabilities"] == {"transfers": "inactive"}
    assert made["metadata"] == {"merchant_id": str(world.ids["m1"])}
    link = fake_stripe.links[-1]
    assert link["type"] == "account_onboarding" and link["account"] == row.stripe_account_id
    assert link["return_url"] == f"http://localhost/m/{slug}/payments/return"
    assert link["refresh_url"] == f"http://localhost/m/{slug}/payments/refresh"
    # the account was asked for once, under the merchant's idempotency key
    keys = [key for method, path, key in fake_stripe.requests if path == "/v1/accounts"]
    assert keys == [f"linli-connect-account-{world.ids['m1']}"]

    # again (a second click, or an expired link): the same account, a new link
    assert _connect(web, world).status_code == 303
    assert web.get(f"/m/{slug}/payments/refresh").status_code == 303
    assert len(fake_stripe.accounts) == 1 and len(fake_stripe.links) == 3

    # Stripe sends the owner back once the details are in: the status is read at once
    fake_stripe.complete_onboarding(row.stripe_account_id)
    back = web.get(f"/m/{slug}/payments/return")
    assert back.status_code == 302
    assert _account(app, world).ready
    page = web.get(f"/m/{slug}/payments/").get_data(as_text=True)
    assert 'data-test="connect-stripe"' not in page
    with app.app_context():
        events = db.session.scalars(select(AuditEvent.event).where(
            AuditEvent.merchant_id == world.ids["m1"], AuditEvent.event.like("merchant.stripe%"))).all()
    assert sorted(events) == ["merchant.stripe_connected", "merchant.stripe_status"]


def test_refresh_without_an_account_makes_none(app, web, world, connect, fake_stripe):
    web.login("m1_owner")
    response = web.get(f"/m/{world.slugs['m1']}/payments/refresh")
    assert response.status_code == 302 and response.headers["Location"].endswith("/payments/")
    assert fake_stripe.accounts == {} and _account(app, world) is None


def test_stripe_not_configured_says_so_and_writes_nothing(app, web, world, rollback):
    web.login("m1_owner")
    slug = world.slugs["m1"]
    page = web.get(f"/m/{slug}/payments/").get_data(as_text=True)
    assert 'data-test="stripe-off"' in page and 'data-test="connect-stripe"' not in page
    response = web.post_form(f"/m/{slug}/payments/connect", page=f"/m/{slug}/payments/")
    assert response.status_code == 409
    assert _account(app, world) is None


def test_stripe_failing_is_a_clear_502_and_nothing_kept(app, web, world, connect, fake_stripe):
    fake_stripe.app.before_request_funcs[None].insert(0, lambda: ("", 401))  # keys revoked
    web.login("m1_owner")
    response = _connect(web, world)
    assert response.status_code == 502
    assert _account(app, world) is None


def test_only_the_owner_and_only_their_own(app, web, world, connect, fake_stripe):
    other = _account(app, world, "m2").stripe_account_id  # m2's (tests/payments/world.py)
    web.login("m1_owner")
    assert web.get(f"/m/{world.slugs['m2']}/payments/").status_code == 404
    assert web.post_form(f"/m/{world.slugs['m2']}/payments/connect",
                         page=f"/m/{world.slugs['m1']}/payments/").status_code == 404
    assert web.get(f"/m/{world.slugs['m2']}/payments/return").status_code == 404
    assert other not in web.get(f"/m/{world.slugs['m1']}/payments/").get_data(as_text=True)
    web.logout()
    web.login("m1_staff")
    assert web.get(f"/m/{world.slugs['m1']}/payments/").status_code == 403
    assert web.post_form(f"/m/{world.slugs['m1']}/payments/connect",
                         page=f"/m/{world.slugs['m1']}/").status_code == 403
    assert fake_stripe.accounts == {}


# Transfers -----------------------------------------------------------------------------

def _pay(app, world, key="stmt-1", amount=12345, merchant="m1"):
    with app.app_context():
        return payments_gateway().transfer(merchant_id=world.ids[merchant], amount_minor=amount,
                                           currency="CNY", idempotency_key=key,
                                           description="Linli statement 2026-10")


def test_a_transfer_pays_the_connected_account_once(app, world, ready_m1, fake_stripe):
    paid = _pay(app, world)
    assert paid.reference.startswith("tr_")
    made = fake_stripe.transfers[paid.reference]
    assert (made["destination"], made["amount"], made["currency"]) == (ready_m1, 12345, "cny")
    assert [k for m, p, k in fake_stripe.requests if p == "/v1/transfers" and m == "POST"] == ["stmt-1"]
    # a retry: the same transfer, nothing paid again (the merchant's id as text works too)
    assert _pay(app, world) == paid
    with app.app_context():
        assert payments_gateway().transfer(merchant_id=str(world.ids["m1"]), amount_minor=12345,
                                           currency="CNY", idempotency_key="stmt-1",
                                           description="Linli statement 2026-10") == paid
    # Stripe forgets idempotency keys after 24 hours: still found by its transfer group
    fake_stripe._replays.clear()
    assert _pay(app, world) == paid
    assert len(fake_stripe.transfers_to(ready_m1)) == 1
    assert fake_stripe.balance["cny"] == 10_000_000 - 12345


def test_a_lost_answer_is_retried_with_the_same_key(app, world, ready_m1, fake_stripe):
    fake_stripe.lose_next_response = True
    paid = _pay(app, world, key="stmt-lost")
    assert len(fake_stripe.transfers_to(ready_m1)) == 1
    assert paid.reference in fake_stripe.transfers


def test_the_same_key_with_another_amount_is_refused(app, world, ready_m1, fake_stripe):
    _pay(app, world, key="stmt-2", amount=100)
    with pytest.raises(PaymentFailed) as error:
        _pay(app, world, key="stmt-2", amount=200)
    assert error.value.code == "idempotency_key_reused"
    assert len(fake_stripe.transfers_to(ready_m1)) == 1


def test_stripe_refusals_have_stable_codes(app, world, ready_m1, fake_stripe):
    fake_stripe.balance["cny"] = 50
    with pytest.raises(PaymentFailed) as error:
        _pay(app, world, key="stmt-3", amount=51)
    assert error.value.code == "balance_insufficient" and not error.value.retryable
    with pytest.raises(PaymentFailed) as error:
        _pay(app, world, key="stmt-4", amount=0)
    assert error.value.code == "invalid_amount"
    assert fake_stripe.transfers_to(ready_m1) == []


def test_unreachable_stripe_is_retryable(app, world, ready_m1):
    from tests.payments.conftest import _free_port

    gateway = StripeGateway(API_KEY, api_base=f"http://127.0.0.1:{_free_port()}", max_network_retries=0)
    with app.app_context(), pytest.raises(PaymentFailed) as error:
        gateway.transfer(merchant_id=world.ids["m1"], amount_minor=1, currency="CNY",
                         idempotency_key="stmt-5", description="x")
    assert error.value.code == "provider_unreachable" and error.value.retryable


def test_no_account_or_unfinished_onboarding_is_unavailable(app, world, connect, fake_stripe):
    with pytest.raises(PaymentsUnavailable):
        _pay(app, world, merchant="m1")  # no account at all
    assert not _account(app, world, "m2").ready  # started, details not all in (the world's)
    with pytest.raises(PaymentsUnavailable):
        _pay(app, world, merchant="m2")
    assert fake_stripe.transfers == {} and fake_stripe.requests == []


def test_offline_has_no_transfers(app, world, rollback):
    with app.app_context():
        assert isinstance(payments_gateway(), OfflineGateway)
        with pytest.raises(PaymentsUnavailable):
            payments_gateway().transfer(merchant_id=world.ids["m1"], amount_minor=1, currency="CNY",
                                        idempotency_key="k", description="x")
        assert _account(app, world) is None
