"""The same event delivered several times at once (Stripe retries while the first delivery
is still running): acted on exactly once. Real commits from several threads (no rolled-back
outer transaction); the rows are the test's own, with unique names."""

import threading
import uuid
from collections import Counter

from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.billing.models import BillingCustomer, BillingSubscription
from core.extensions import db
from core.identity.models import User
from core.payments.models import StripeEvent
from tests.payments.conftest import deliver, make_event, stripe_on
from tests.payments.test_webhooks import subscription_obj


def test_concurrent_duplicates_act_once(app, world):
    from core.districts.actions import do_create_district

    tag = uuid.uuid4().hex[:10]
    with app.app_context():
        platform = db.session.get(User, world.ids["user:platform"])
        district = do_create_district(f"wh-{tag}", f"Webhooks {tag}", platform)
        customer = BillingCustomer(district_id=district.id, stripe_customer_id=f"cus_{tag}", email="d@example.cn")
        db.session.add(customer)
        db.session.flush()
        db.session.add(BillingSubscription(customer_id=customer.id, stripe_subscription_id=f"sub_{tag}",
                                           plan="district", status="active"))
        db.session.commit()
    event = make_event("customer.subscription.updated", subscription_obj("past_due", sub_id=f"sub_{tag}"))
    results, errors = [], []
    start = threading.Barrier(4)

    def send():
        try:
            start.wait(timeout=10)
            response = deliver(app.test_client(), event)
            results.append(response.json.get("result") if response.status_code == 200 else response.status_code)
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    with stripe_on(app, "http://127.0.0.1:9"):
        threads = [threading.Thread(target=send) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    assert Counter(results) == {"applied": 1, "duplicate": 3}, results
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StripeEvent)
                                 .where(StripeEvent.event_id == event["id"])) == 1
        assert db.session.scalar(select(BillingSubscription.status).where(
            BillingSubscription.stripe_subscription_id == f"sub_{tag}")) == "past_due"
        audits = db.session.scalars(select(AuditEvent.data).where(
            AuditEvent.event == "billing.subscription_status")).all()
        assert len([a for a in audits if a.get("stripe_event") == event["id"]]) == 1
