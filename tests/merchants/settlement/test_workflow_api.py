"""The statement's workflow over the API (API.md): shapes, every step, every wrong step a
409 problem, audit rows, who may do what, Stripe payments through a fake gateway, and closing
a month through the API."""

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.extensions import db
from core.payments.gateway import PaymentFailed, PaymentsUnavailable, Transfer, use_gateway
from tests.merchants.settlement.world import WORLD_MONTH

SUMMARY_KEYS = {"id", "community", "month", "vouchers", "points", "amount", "status"}


def m_url(world, m="m1", c="c1", action=""):
    return f"/api/v1/merchants/{world.slugs[m]}/statements/{world.ids[f'statement:{m}:{c}']}{action}"


def c_url(world, m="m1", c="c1", action=""):
    return f"/api/v1/c/{world.slugs[c]}/statements/{world.ids[f'statement:{m}:{c}']}{action}"


def test_the_merchants_list_holds_its_own_statements_only(api, world):
    response = api.as_("m1_owner").get(f"/api/v1/merchants/{world.slugs['m1']}/statements?month={WORLD_MONTH}")
    assert response.status_code == 200
    items = response.json["items"]
    assert [(i["community"], i["month"]) for i in items] == [(world.slugs["c1"], WORLD_MONTH)]
    item = items[0]
    assert SUMMARY_KEYS <= set(item)
    assert (item["vouchers"], item["points"], item["amount"], item["currency"], item["status"]) == (
        2, 80, "8.00", "CNY", "issued")
    assert response.json["next_cursor"] is None
    other = api.as_("m2_owner").get(f"/api/v1/merchants/{world.slugs['m2']}/statements?month={WORLD_MONTH}")
    assert [(i["community"], i["points"], i["amount"]) for i in other.json["items"]] == [(world.slugs["c2"], 25, "5.00")]


def test_the_communitys_list_is_per_merchant(api, world):
    response = api.as_("c2_admin").get(f"/api/v1/c/{world.slugs['c2']}/statements?month={WORLD_MONTH}")
    assert response.status_code == 200
    assert [(i["merchant"], i["vouchers"]) for i in response.json["items"]] == [(world.slugs["m2"], 1)]
    assert api.as_("c1_admin").get(f"/api/v1/c/{world.slugs['c1']}/statements?month=2023-12").json["items"] == []


def test_a_bad_month_is_a_422(api, world):
    response = api.as_("c1_admin").get(f"/api/v1/c/{world.slugs['c1']}/statements?month=2024-13")
    assert response.status_code == 422 and "month" in str(response.json["errors"])


def test_one_statement_with_its_lines(api, world):
    body = api.as_("m1_owner").get(m_url(world)).json
    assert body["status"] == "issued" and body["merchant"] == world.slugs["m1"]
    assert [(line["points"], line["point_value"], line["amount"]) for line in body["lines"]] == [
        (40, "0.10", "4.00"), (40, "0.10", "4.00")]
    assert body["credit_notes"] == [] and body["payment"] is None
    assert all(line["code"].startswith("…") for line in body["lines"])
    same = api.as_("c1_admin").get(c_url(world)).json
    assert same["id"] == body["id"] and same["lines"] == body["lines"]


def test_only_owners_and_admins(api, world):
    assert api.as_("m1_staff").get(f"/api/v1/merchants/{world.slugs['m1']}/statements").status_code == 403
    assert api.as_("m1_staff").post(m_url(world, action="/confirm")).status_code == 403
    assert api.as_("c1_red").get(f"/api/v1/c/{world.slugs['c1']}/statements").status_code == 403
    assert api.as_("c1_grid").post(c_url(world, action="/approve")).status_code == 403
    # another tenant's statement is not found, on both sides
    assert api.as_("m1_owner").get(
        f"/api/v1/merchants/{world.slugs['m1']}/statements/{world.ids['statement:m2:c2']}").status_code == 404
    assert api.as_("c1_admin").get(
        f"/api/v1/c/{world.slugs['c1']}/statements/{world.ids['statement:m2:c2']}").status_code == 404


def audit_events(app, world, key="statement:m1:c1"):
    with app.app_context():
        return _audit_events(world, key)


def _audit_events(world, key):
    rows = db.session.execute(select(AuditEvent.event, AuditEvent.actor_id, AuditEvent.data).where(
        AuditEvent.event.like("settlement.statement_%") | (AuditEvent.event == "settlement.credit_note"),
    ).order_by(AuditEvent.created_at)).all()
    return [(event, actor) for event, actor, data in rows if data.get("statement") == str(world.ids[key])]


def test_dispute_credit_note_confirm_approve_pay_close(app, api, world):
    owner, admin = api.as_("m1_owner"), api.as_("c1_admin")
    line = owner.get(m_url(world)).json["lines"][0]["id"]

    disputed = owner.post(m_url(world, action="/dispute"), json={"reason": "Not used at our shop", "lines": [line]})
    assert disputed.status_code == 200, disputed.json
    assert disputed.json["status"] == "disputed" and disputed.json["disputed_reason"] == "Not used at our shop"
    assert [entry["disputed_reason"] for entry in disputed.json["lines"] if entry["id"] == line] == ["Not used at our shop"]

    refused = admin.post(c_url(world, action="/approve"))
    assert refused.status_code == 409 and refused.json["code"] == "not_confirmed"
    assert refused.headers["Content-Type"].startswith("application/problem+json")

    adjusted = admin.post(c_url(world, action="/credit-notes"), json={"amount": "4.00", "reason": "Voucher not used", "line": line})
    assert adjusted.status_code == 200, adjusted.json
    assert (adjusted.json["status"], adjusted.json["amount"], adjusted.json["credited"], adjusted.json["due"]) == (
        "adjusted", "8.00", "4.00", "4.00")
    assert adjusted.json["credit_notes"][0]["line"] == line

    confirmed = owner.post(m_url(world, action="/confirm"))
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    approved = admin.post(c_url(world, action="/approve"))
    assert approved.status_code == 200 and approved.json["status"] == "approved"

    missing = admin.post(c_url(world, action="/payments"), json={"method": "offline"})
    assert missing.status_code == 422 and "reference" in missing.json["errors"]
    paid = admin.post(c_url(world, action="/payments"), json={"method": "offline", "reference": "ICBC 2024-0207-001"})
    assert paid.status_code == 200, paid.json
    assert paid.json["status"] == "paid"
    assert paid.json["payment"] == {**paid.json["payment"], "method": "offline", "reference": "ICBC 2024-0207-001",
                                    "amount": "4.00"}
    again = admin.post(c_url(world, action="/payments"), json={"method": "offline", "reference": "twice"})
    assert again.status_code == 409 and again.json["code"] == "already_paid"
    assert owner.get(m_url(world)).json["status"] == "paid"  # the merchant sees it paid

    closed = admin.post(c_url(world, action="/close"))
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    late = owner.post(m_url(world, action="/dispute"), json={"reason": "too late"})
    assert late.status_code == 409 and late.json["code"] == "statement_locked"

    assert audit_events(app, world) == [
        ("settlement.statement_issued", None),  # the month's close (by the scheduled task: no actor)
        ("settlement.statement_disputed", world.ids["user:m1_owner"]),
        ("settlement.credit_note", world.ids["user:c1_admin"]),
        ("settlement.statement_confirmed", world.ids["user:m1_owner"]),
        ("settlement.statement_approved", world.ids["user:c1_admin"]),
        ("settlement.statement_paid", world.ids["user:c1_admin"]),
        ("settlement.statement_closed", world.ids["user:c1_admin"]),
    ]


# Every action in every status: allowed ones move on, all others are a 409 with a stable code.
ACTIONS = {
    "confirm": ("merchant", "/confirm", None),
    "dispute": ("merchant", "/dispute", {"reason": "why"}),
    "credit": ("community", "/credit-notes", {"amount": "0.50", "reason": "goodwill"}),
    "approve": ("community", "/approve", None),
    "pay": ("community", "/payments", {"method": "offline", "reference": "BANK-1"}),
    "close": ("community", "/close", None),
}
ALLOWED = {
    "issued": {"confirm", "dispute", "credit"},
    "disputed": {"confirm", "dispute", "credit"},
    "adjusted": {"confirm", "dispute", "credit"},
    "confirmed": {"approve", "credit"},
    "approved": {"pay"},
    "paid": {"close"},
    "closed": set(),
}
PATH_TO = {  # how to bring the statement to each status
    "issued": [], "disputed": ["dispute"], "adjusted": ["credit"], "confirmed": ["confirm"],
    "approved": ["confirm", "approve"], "paid": ["confirm", "approve", "pay"],
    "closed": ["confirm", "approve", "pay", "close"],
}


def send(api, world, name):
    side, path, body = ACTIONS[name]
    client = api.as_("m1_owner") if side == "merchant" else api.as_("c1_admin")
    url = m_url(world, action=path) if side == "merchant" else c_url(world, action=path)
    return client.post(url, json=body)


@pytest.mark.parametrize("status", list(PATH_TO))
def test_every_wrong_step_is_a_409(api, world, status):
    for step in PATH_TO[status]:
        assert send(api, world, step).status_code == 200, step
    assert api.as_("c1_admin").get(c_url(world)).json["status"] == status
    for name in sorted(set(ACTIONS) - ALLOWED[status]):
        response = send(api, world, name)
        assert response.status_code == 409, (status, name, response.json)
        assert response.json["code"] in {"already_confirmed", "statement_locked", "not_confirmed",
                                         "already_approved", "not_approved", "already_paid", "not_paid",
                                         "already_closed"}
        assert response.json["current_status"] == status
    assert api.as_("c1_admin").get(c_url(world)).json["status"] == status  # nothing moved
    for name in sorted(ALLOWED[status]):
        assert send(api, world, name).status_code == 200, (status, name)
        break  # one allowed step is enough to show it is not refused


def test_a_credit_note_cannot_exceed_what_is_due(api, world):
    admin = api.as_("c1_admin")
    too_much = admin.post(c_url(world, action="/credit-notes"), json={"amount": "8.01", "reason": "x"})
    assert too_much.status_code == 422 and "amount" in too_much.json["errors"]
    bad = admin.post(c_url(world, action="/credit-notes"), json={"amount": "1.234", "reason": "x"})
    assert bad.status_code == 422 and "amount" in bad.json["errors"]
    zero = admin.post(c_url(world, action="/credit-notes"), json={"amount": "0", "reason": "x"})
    assert zero.status_code == 422
    not_ours = admin.post(c_url(world, action="/credit-notes"),
                          json={"amount": "1.00", "reason": "x", "line": str(world.ids["voucher:c1"])})
    assert not_ours.status_code == 422 and "line" in not_ours.json["errors"]
    assert admin.get(c_url(world)).json["credited"] == "0.00"


def test_disputing_a_line_of_another_statement_is_a_422(api, world):
    response = api.as_("m1_owner").post(m_url(world, action="/dispute"),
                                        json={"reason": "x", "lines": [str(world.ids["statement:m2:c2"])]})
    assert response.status_code == 422 and "lines" in response.json["errors"]
    assert api.as_("m1_owner").get(m_url(world)).json["status"] == "issued"
    empty = api.as_("m1_owner").post(m_url(world, action="/dispute"), json={"reason": ""})
    assert empty.status_code == 422


class FakeStripe:
    """Transfers as Stripe answers them: the same idempotency key gives the first transfer back."""

    name = "stripe"

    def __init__(self, fail=None):
        self.calls, self.transfers, self.fail = [], {}, fail

    def transfer(self, *, merchant_id, amount_minor, currency, idempotency_key, description):
        self.calls.append(dict(merchant_id=merchant_id, amount_minor=amount_minor, currency=currency,
                               idempotency_key=idempotency_key, description=description))
        if self.fail:
            raise self.fail
        if idempotency_key not in self.transfers:
            self.transfers[idempotency_key] = Transfer(reference=f"tr_{len(self.transfers) + 1:04d}")
        return self.transfers[idempotency_key]


@pytest.fixture
def gateway(app):
    previous = app.extensions.get("payments_gateway")

    def install(fake):
        use_gateway(app, fake)
        return fake

    yield install
    if previous is None:
        app.extensions.pop("payments_gateway", None)
    else:
        app.extensions["payments_gateway"] = previous


def approve(api, world):
    assert send(api, world, "confirm").status_code == 200
    assert send(api, world, "approve").status_code == 200


def test_paying_by_stripe_transfers_the_amount_due_once(api, world, gateway):
    fake = gateway(FakeStripe())
    approve(api, world)
    paid = api.as_("c1_admin").post(c_url(world, action="/payments"), json={"method": "stripe"},
                                    headers={"Idempotency-Key": "pay-1"})
    assert paid.status_code == 200, paid.json
    assert paid.json["status"] == "paid" and paid.json["payment"]["reference"] == "tr_0001"
    (call,) = fake.calls
    assert call["amount_minor"] == 800 and call["currency"] == "CNY"
    assert call["idempotency_key"] == str(world.ids["statement:m1:c1"])
    assert call["merchant_id"] == str(world.ids["m1"])
    replay = api.as_("c1_admin").post(c_url(world, action="/payments"), json={"method": "stripe"},
                                      headers={"Idempotency-Key": "pay-1"})
    assert replay.json == paid.json and len(fake.calls) == 1
    again = api.as_("c1_admin").post(c_url(world, action="/payments"), json={"method": "stripe"})
    assert again.status_code == 409 and again.json["code"] == "already_paid" and len(fake.calls) == 1


def test_stripe_unavailable_or_failing_leaves_the_statement_approved(api, world, gateway):
    approve(api, world)
    # the default gateway is offline: no transfers
    offline = api.as_("c1_admin").post(c_url(world, action="/payments"), json={"method": "stripe"})
    assert offline.status_code == 409 and offline.json["code"] == "payments_unavailable"
    gateway(FakeStripe(fail=PaymentsUnavailable("no connected account")))
    unavailable = api.as_("c1_admin").post(c_url(world, action="/payments"), json={"method": "stripe"})
    assert unavailable.status_code == 409 and unavailable.json["code"] == "payments_unavailable"
    gateway(FakeStripe(fail=PaymentFailed("insufficient_funds", "balance too low")))
    failed = api.as_("c1_admin").post(c_url(world, action="/payments"), json={"method": "stripe"})
    assert failed.status_code == 502 and failed.json["code"] == "payment_failed"
    assert "insufficient_funds" in failed.json["detail"]
    assert api.as_("c1_admin").get(c_url(world)).json["status"] == "approved"
    # a retry once Stripe works again pays, with the same idempotency key
    fake = gateway(FakeStripe())
    assert api.as_("c1_admin").post(c_url(world, action="/payments"), json={"method": "stripe"}).status_code == 200
    assert fake.calls[0]["idempotency_key"] == str(world.ids["statement:m1:c1"])


def test_closing_a_month_through_the_api(api, world):
    refused = api.as_("c1_admin").post("/api/v1/settlements/close", json={"month": "2024-02"})
    assert refused.status_code == 403
    done = api.as_("platform").post("/api/v1/settlements/close", json={"month": "2024-02"})
    assert done.status_code == 200, done.json
    assert done.json["month"] == "2024-02" and done.json["statements_created"] == 0
    again = api.as_("platform").post("/api/v1/settlements/close", json={"month": WORLD_MONTH})
    assert again.status_code == 200 and again.json["statements_created"] == 0
    assert {c["community"] for c in again.json["communities"] if c["already_closed"]} >= {
        world.slugs["c1"], world.slugs["c2"]}
    future = api.as_("platform").post("/api/v1/settlements/close", json={"month": "2999-01"})
    assert future.status_code == 409 and future.json["code"] == "month_not_over"
    bad = api.as_("platform").post("/api/v1/settlements/close", json={"month": "2024-1"})
    assert bad.status_code == 422 and "month" in bad.json["errors"]
