"""Stripe Billing for communities and districts, against localstripe over real HTTP."""

import requests
from sqlalchemy import select

from core.billing.models import BillingCustomer, BillingSubscription
from core.extensions import db
from tests.payments.conftest import API_KEY, deliver, make_event


def _customer(app, community_id):
    with app.app_context():
        return db.session.scalar(select(BillingCustomer).where(BillingCustomer.community_id == community_id))


def _stripe_customers(url):
    return requests.get(f"{url}/v1/customers", params={"limit": 100}, auth=(API_KEY, ""),
                        timeout=5).json()["data"]


def _subscribe(web, url, **data):
    return web.post_form(url, {"name": "Community c1", "email": "billing@c1.example.cn", **data})


def _subscription(app, stripe_customer_field, payer_id):
    with app.app_context():
        return db.session.scalar(select(BillingSubscription).join(BillingCustomer)
                                 .where(stripe_customer_field == payer_id))


def test_not_configured_no_billing_no_banner(app, web, world, rollback):
    web.login("c1_admin")
    url = f"/c/{world.slugs['c1']}/billing/"
    page = web.get(url).get_data(as_text=True)
    assert 'data-test="billing-off"' in page
    home = web.get(f"/c/{world.slugs['c1']}/").get_data(as_text=True)
    assert url not in home and "billing-past-due" not in home
    assert _subscribe(web, url).status_code == 409
    assert _subscription(app, BillingCustomer.community_id, world.ids["c1"]) is None
    assert _customer(app, world.ids["c1"]) is None


def test_a_community_admin_subscribes(app, web, world, billing, localstripe):
    web.login("c1_admin")
    url = f"/c/{world.slugs['c1']}/billing/"
    assert url in web.get(f"/c/{world.slugs['c1']}/").get_data(as_text=True)  # the home tile
    response = _subscribe(web, url)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with app.app_context():
        customer = db.session.scalar(select(BillingCustomer).where(
            BillingCustomer.community_id == world.ids["c1"]))
        subscription = customer.subscriptions[0]
        assert (subscription.status, subscription.amount_minor, subscription.currency,
                subscription.interval, subscription.plan) == ("active", 9900, "CNY", "month", "community")
        assert subscription.current_period_end is not None
        ids = customer.stripe_customer_id, subscription.stripe_subscription_id
    # the customer and subscription really are at Stripe, with what we sent
    at_stripe = requests.get(f"{localstripe}/v1/customers/{ids[0]}", auth=(API_KEY, ""), timeout=5).json()
    assert at_stripe["email"] == "billing@c1.example.cn" and at_stripe["name"] == "Community c1"
    assert at_stripe["metadata"] == {"linli_payer": "community", "linli_id": str(world.ids["c1"])}
    sub = requests.get(f"{localstripe}/v1/subscriptions/{ids[1]}", auth=(API_KEY, ""), timeout=5).json()
    assert sub["customer"] == ids[0] and sub["status"] == "active"
    page = web.get(url).get_data(as_text=True)
    assert 'data-test="billing-status"' in page and 'data-test="subscribe"' not in page
    # once is enough: a second subscription is refused, nothing more at Stripe
    before = len(_stripe_customers(localstripe))
    assert web.post_form(url, {}).status_code == 409
    assert len(_stripe_customers(localstripe)) == before
    with app.app_context():
        assert len(db.session.scalars(select(BillingSubscription).join(BillingCustomer).where(
            BillingCustomer.community_id == world.ids["c1"])).all()) == 1


def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(app, web, world, billing, localstripe):
    web.login("c1_admin")
    url = f"/c/{world.slugs['c1']}/billing/"
    before = len(_stripe_customers(localstripe))
    for data in ({"email": ""}, {"email": "not-an-email"}, {"name": ""}, {"email": "a@b.c" * 60}):
        response = _subscribe(web, url, **data)
        assert response.status_code == 422, data
        assert 'class="error-summary"' in response.get_data(as_text=True)
    assert _customer(app, world.ids["c1"]) is None
    assert len(_stripe_customers(localstripe)) == before


def test_a_district_pays_for_its_communities(app, web, world, billing):
    web.login("d1_admin")
    url = f"/d/{world.slugs['d1']}/billing/"
    assert url in web.get(f"/d/{world.slugs['d1']}/").get_data(as_text=True)  # the district's link
    assert _subscribe(web, url, name="District d1").status_code == 302
    row = _subscription(app, BillingCustomer.district_id, world.ids["d1"])
    assert (row.status, row.amount_minor, row.plan) == ("active", 49900, "district")
    web.logout()
    web.login("c3_admin")  # c3 is in d1
    c3 = f"/c/{world.slugs['c3']}/billing/"
    page = web.get(c3).get_data(as_text=True)
    assert 'data-test="subscribe"' not in page
    assert _subscribe(web, c3).status_code == 409
    assert _subscription(app, BillingCustomer.community_id, world.ids["c3"]) is None


def test_each_admin_sees_only_their_own_billing(app, web, world, billing):
    c2_sub = _subscription(app, BillingCustomer.community_id, world.ids["c2"]).stripe_subscription_id
    assert c2_sub == "sub_world_c2"  # tests/payments/world.py
    web.login("c2_admin")  # c2's own admin sees c2's (past due) subscription
    assert 'data-test="billing-past-due"' in web.get(f"/c/{world.slugs['c2']}/").get_data(as_text=True)
    assert 'data-test="subscribe"' not in web.get(f"/c/{world.slugs['c2']}/billing/").get_data(as_text=True)
    web.logout()
    web.login("c1_admin")
    assert web.get(f"/c/{world.slugs['c2']}/billing/").status_code == 404
    assert web.post_form(f"/c/{world.slugs['c2']}/billing/", {"email": "x@y.cn", "name": "x"},
                         page=f"/c/{world.slugs['c1']}/billing/").status_code == 404
    assert web.get(f"/d/{world.slugs['d2']}/billing/").status_code == 404
    page = web.get(f"/c/{world.slugs['c1']}/billing/").get_data(as_text=True)
    home = web.get(f"/c/{world.slugs['c1']}/").get_data(as_text=True)
    assert c2_sub not in page and 'data-test="subscribe"' in page  # c1 has none of its own
    assert "billing-past-due" not in home  # c2's past due is not c1's
    web.logout()
    web.login("c1_red")  # a resident: not their business
    assert web.get(f"/c/{world.slugs['c1']}/billing/").status_code == 403
    web.logout()
    web.login("d2_admin")
    assert web.get(f"/d/{world.slugs['d1']}/billing/").status_code == 404
    assert _subscription(app, BillingCustomer.community_id, world.ids["c1"]) is None


def test_past_due_shows_the_banner_to_the_admins_only(app, web, world, billing, localstripe):
    web.login("c1_admin")
    _subscribe(web, f"/c/{world.slugs['c1']}/billing/")
    row = _subscription(app, BillingCustomer.community_id, world.ids["c1"])
    # the subscription as localstripe has it, as Stripe would send it when it turns past_due
    obj = requests.get(f"{localstripe}/v1/subscriptions/{row.stripe_subscription_id}",
                       auth=(API_KEY, ""), timeout=5).json()
    invoice = requests.get(f"{localstripe}/v1/invoices/{obj['latest_invoice']}",
                           auth=(API_KEY, ""), timeout=5).json()
    invoice["hosted_invoice_url"] = "https://invoice.stripe.com/i/acct_x/test_1"
    assert deliver(app.test_client(), make_event("invoice.payment_failed", invoice)).json["result"] == "applied"
    assert deliver(app.test_client(), make_event(
        "customer.subscription.updated", {**obj, "status": "past_due"})).json["result"] == "applied"
    home = web.get(f"/c/{world.slugs['c1']}/").get_data(as_text=True)
    assert 'data-test="billing-past-due"' in home
    assert "https://invoice.stripe.com/i/acct_x/test_1" in home
    billing_page = web.get(f"/c/{world.slugs['c1']}/billing/").get_data(as_text=True)
    assert 'data-test="pay-invoice"' in billing_page
    web.logout()
    for other, url in (("c1_red", f"/c/{world.slugs['c1']}/"), ("c3_admin", f"/c/{world.slugs['c3']}/"),
                       ("d1_admin", f"/d/{world.slugs['d1']}/")):
        web.login(other)
        assert "billing-past-due" not in web.get(url).get_data(as_text=True), other
        web.logout()
    # paid: the banner goes
    deliver(app.test_client(), make_event("invoice.paid", {**invoice, "status": "paid"}))
    deliver(app.test_client(), make_event("customer.subscription.updated", {**obj, "status": "active"}))
    web.login("c1_admin")
    assert "billing-past-due" not in web.get(f"/c/{world.slugs['c1']}/").get_data(as_text=True)
