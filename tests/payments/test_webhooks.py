"""POST /webhooks/stripe: signature, pinned version, handled types, duplicates, unknown
objects, and what each handled type does."""

import json
import time

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.billing.models import BillingCustomer, BillingSubscription
from core.extensions import db
from core.payments.models import StripeEvent
from merchants.payments.models import ConnectedAccount
from tests.payments.conftest import (
    CONNECT_WEBHOOK_SECRET,
    deliver,
    make_event,
    signature,
    stripe_on,
)

URL = "/webhooks/stripe"


@pytest.fixture
def hooks(app, rollback, world):
    """Stripe configured (no API calls are made by webhooks), with a subscription of c1 and
    m1's connected account to act on."""
    with stripe_on(app, "http://127.0.0.1:9"):
        with app.app_context():
            customer = BillingCustomer(community_id=world.ids["c1"], stripe_customer_id="cus_c1",
                                       email="c1@example.cn")
            db.session.add(customer)
            db.session.flush()
            db.session.add(BillingSubscription(customer_id=customer.id, stripe_subscription_id="sub_c1",
                                               plan="community", status="active"))
            db.session.add(ConnectedAccount(merchant_id=world.ids["m1"], stripe_account_id="acct_m1"))
            db.session.commit()
        client = app.test_client()
        client.events_before = _count_events(app)
        yield client


def subscription_obj(status="active", sub_id="sub_c1", **extra):
    """A subscription in the 2025+ shape (docs.stripe.com/api/subscriptions/object): the
    period on the item, the price with its recurring interval."""
    return {
        "id": sub_id, "object": "subscription", "customer": "cus_c1", "status": status,
        "cancel_at_period_end": False, "collection_method": "send_invoice", "days_until_due": 30,
        "latest_invoice": "in_1", "metadata": {},
        "items": {"object": "list", "data": [{
            "id": "si_1", "object": "subscription_item", "quantity": 1,
            "current_period_start": 1790000000, "current_period_end": 1792592000,
            "price": {"id": "price_linli_community", "object": "price", "currency": "cny",
                      "unit_amount": 9900, "recurring": {"interval": "month", "interval_count": 1}},
        }]},
        **extra,
    }


def invoice_obj(sub_id="sub_c1", status="open"):
    """An invoice in the 2025+ shape: its subscription under parent.subscription_details."""
    return {
        "id": "in_1", "object": "invoice", "customer": "cus_c1", "status": status,
        "amount_due": 9900, "currency": "cny",
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_platform/test_in_1",
        "parent": {"type": "subscription_details",
                   "subscription_details": {"subscription": sub_id, "metadata": {}}},
    }


def account_obj(account_id="acct_m1", ready=True):
    return {"id": account_id, "object": "account", "type": "express",
            "charges_enabled": ready, "payouts_enabled": ready, "details_submitted": ready,
            "capabilities": {"transfers": "active" if ready else "inactive"}}


def _sub(app):
    with app.app_context():
        return db.session.scalar(select(BillingSubscription).where(
            BillingSubscription.stripe_subscription_id == "sub_c1"))


def _count_events(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StripeEvent))


def _events(hooks):
    """Events recorded during this test (other tests commit theirs for real)."""
    return _count_events(hooks.application) - hooks.events_before


def _problem(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == code
    return response.json


# Refused before anything is read -------------------------------------------------------

def test_not_configured_is_a_404(app, rollback):
    response = app.test_client().post(URL, data=b"{}", headers={"Stripe-Signature": "t=1,v1=x"})
    _problem(response, 404, "stripe_not_configured")


def test_missing_bad_tampered_or_old_signatures_are_refused(app, hooks):
    event = make_event("customer.subscription.updated", subscription_obj("past_due"))
    body = json.dumps(event).encode()
    _problem(hooks.post(URL, data=body, content_type="application/json"), 400, "signature_missing")
    _problem(deliver(hooks, event, secret="whsec_someone_else"), 400, "signature_invalid")
    tampered = hooks.post(URL, data=body.replace(b"past_due", b"active__"), content_type="application/json",
                          headers={"Stripe-Signature": signature(body)})
    _problem(tampered, 400, "signature_invalid")
    _problem(deliver(hooks, event, at=int(time.time()) - 3600), 400, "signature_invalid")  # a replay
    _problem(hooks.post(URL, data=body, headers={"Stripe-Signature": "garbage"}), 400, "signature_invalid")
    assert _sub(app).status == "active" and _events(hooks) == 0


def test_a_good_signature_from_either_endpoint_is_accepted(app, hooks):
    assert deliver(hooks, make_event("customer.subscription.updated", subscription_obj("past_due"))).json == {
        "received": True, "result": "applied"}
    response = deliver(hooks, make_event("account.updated", account_obj()), secret=CONNECT_WEBHOOK_SECRET)
    assert response.json["result"] == "applied"


def test_another_api_version_is_refused_clearly(app, hooks):
    event = make_event("customer.subscription.updated", subscription_obj("past_due"), version="2017-08-15")
    body = _problem(deliver(hooks, event), 400, "api_version_mismatch")
    assert "2017-08-15" in body["detail"] and "2026-10-28.endive" in body["detail"]
    assert _sub(app).status == "active" and _events(hooks) == 0


def test_signed_but_not_an_event_is_a_400(app, hooks):
    for payload in (b"not json", b"[1, 2]", json.dumps({"id": "evt_1", "api_version": "2026-10-28.endive"}).encode(),
                    json.dumps({"id": "evt_1", "type": "invoice.paid", "api_version": "2026-10-28.endive",
                                "data": ["not", "an", "object"]}).encode()):
        response = deliver(hooks, {}, payload=payload)
        assert response.status_code == 400 and response.json["code"] == "malformed_event"
    assert _events(hooks) == 0


def test_an_unhandled_type_is_ignored_and_not_recorded(app, hooks):
    response = deliver(hooks, make_event("charge.succeeded", {"id": "ch_1", "object": "charge"}))
    assert response.status_code == 200 and response.json["result"] == "ignored"
    assert _events(hooks) == 0


# Acted on once -------------------------------------------------------------------------

def test_a_duplicate_event_id_does_nothing_more(app, hooks):
    event = make_event("customer.subscription.updated", subscription_obj("past_due"))
    assert deliver(hooks, event).json["result"] == "applied"
    # the same event again, even if its content were different: already done
    event["data"]["object"]["status"] = "canceled"
    assert deliver(hooks, event).json["result"] == "duplicate"
    assert _sub(app).status == "past_due" and _events(hooks) == 1
    with app.app_context():
        audits = db.session.scalars(select(AuditEvent.data).where(
            AuditEvent.event == "billing.subscription_status")).all()
        assert len([a for a in audits if a.get("stripe_event") == event["id"]]) == 1


def test_an_unknown_object_is_a_200_that_changes_nothing(app, hooks):
    for event in (make_event("customer.subscription.updated", subscription_obj("past_due", sub_id="sub_elsewhere")),
                  make_event("invoice.payment_failed", invoice_obj(sub_id="sub_elsewhere")),
                  make_event("account.updated", account_obj("acct_elsewhere"))):
        response = deliver(hooks, event)
        assert response.status_code == 200 and response.json["result"] == "unknown"
    assert _sub(app).status == "active" and _sub(app).invoice_url is None
    with app.app_context():
        assert not db.session.scalar(select(ConnectedAccount.payouts_enabled))


def test_subscription_created_updated_deleted(app, hooks):
    assert deliver(hooks, make_event("customer.subscription.created", subscription_obj("active"))).json["result"] == "applied"
    row = _sub(app)
    assert (row.amount_minor, row.currency, row.interval, row.price_id) == (9900, "CNY", "month", "price_linli_community")
    assert int(row.current_period_end.timestamp()) == 1792592000
    deliver(hooks, make_event("customer.subscription.updated", subscription_obj("unpaid", cancel_at_period_end=True)))
    row = _sub(app)
    assert row.status == "unpaid" and row.cancel_at_period_end and row.is_overdue
    deliver(hooks, make_event("customer.subscription.deleted", subscription_obj("canceled")))
    assert _sub(app).status == "canceled" and not _sub(app).is_live


def test_an_older_event_arriving_late_changes_nothing(app, hooks):
    now = int(time.time())
    deliver(hooks, make_event("customer.subscription.updated", subscription_obj("past_due"), created=now))
    late = deliver(hooks, make_event("customer.subscription.updated", subscription_obj("active"), created=now - 60))
    assert late.json["result"] == "stale" and _sub(app).status == "past_due"


def test_invoice_payment_failed_then_paid(app, hooks):
    now = int(time.time())
    deliver(hooks, make_event("invoice.payment_failed", invoice_obj(), created=now - 10))
    row = _sub(app)
    assert row.last_payment_failed and row.latest_invoice_id == "in_1"
    assert row.invoice_url == "https://invoice.stripe.com/i/acct_platform/test_in_1"
    deliver(hooks, make_event("invoice.paid", invoice_obj(status="paid"), created=now))
    assert not _sub(app).last_payment_failed
    # the failure delivered again late (another event id) does not bring it back
    assert deliver(hooks, make_event("invoice.payment_failed", invoice_obj(), created=now - 5)).json["result"] == "stale"
    assert not _sub(app).last_payment_failed


def test_legacy_invoice_shape_names_its_subscription_at_the_top(app, hooks):
    legacy = {**invoice_obj(), "parent": None, "subscription": "sub_c1"}
    assert deliver(hooks, make_event("invoice.payment_failed", legacy)).json["result"] == "applied"
    assert _sub(app).last_payment_failed


def test_account_updated(app, hooks):
    deliver(hooks, make_event("account.updated", account_obj(ready=True)), secret=CONNECT_WEBHOOK_SECRET)
    with app.app_context():
        row = db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.stripe_account_id == "acct_m1"))
        assert row.ready and row.charges_enabled
    deliver(hooks, make_event("account.updated", {**account_obj(ready=True), "payouts_enabled": False}),
            secret=CONNECT_WEBHOOK_SECRET)
    with app.app_context():
        row = db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.stripe_account_id == "acct_m1"))
        assert not row.ready and not row.payouts_enabled


def test_a_failing_handler_leaves_the_event_for_stripe_to_retry(app, hooks, monkeypatch):
    from core.payments import webhooks

    def broken(obj, event):
        raise RuntimeError("database went away")

    monkeypatch.setitem(webhooks._handlers, "customer.subscription.updated", broken)
    event = make_event("customer.subscription.updated", subscription_obj("past_due"))
    assert deliver(hooks, event).status_code == 500
    assert _events(hooks) == 0
    monkeypatch.undo()
    assert deliver(hooks, event).json["result"] == "applied"
    assert _sub(app).status == "past_due"


def test_no_session_and_no_csrf_needed(app, hooks):
    """Signed deliveries work without any cookie or CSRF token (and set no cookie)."""
    response = deliver(hooks, make_event("customer.subscription.updated", subscription_obj("past_due")))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
