"""A month's statement paid through Stripe for real: the settlement workflow over the API,
the Stripe gateway over HTTP, and the fake Stripe (Connect and Transfers) on the other side."""

from tests.merchants.settlement.test_workflow_api import c_url, m_url


def test_an_approved_statement_is_paid_once_by_a_transfer_to_the_merchant(api, world, ready_m1, fake_stripe):
    owner, admin = api.as_("m1_owner"), api.as_("c1_admin")
    statement = admin.get(c_url(world)).json
    assert owner.post(m_url(world, action="/confirm"), json={}).status_code == 200
    assert admin.post(c_url(world, action="/approve"), json={}).status_code == 200

    paid = admin.post(c_url(world, action="/payments"), json={"method": "stripe"})
    assert paid.status_code == 200, paid.json
    assert paid.json["status"] == "paid" and paid.json["payment"]["method"] == "stripe"
    transfer = fake_stripe.transfers[paid.json["payment"]["reference"]]
    assert transfer["destination"] == ready_m1 and transfer["currency"] == "cny"
    assert transfer["amount"] == int(statement["amount"].replace(".", ""))  # CNY: fen
    # the statement's id is the idempotency key: Stripe saw it on the one transfer made
    assert [k for m, p, k in fake_stripe.requests if m == "POST" and p == "/v1/transfers"] == [str(statement["id"])]

    again = admin.post(c_url(world, action="/payments"), json={"method": "stripe"})
    assert again.status_code == 409 and again.json["code"] == "already_paid"
    assert len(fake_stripe.transfers_to(ready_m1)) == 1
    assert owner.get(m_url(world)).json["status"] == "paid"  # the merchant sees it paid
