"""POST /api/v1/c/{community}/awards: points = rule points x quantity, caps, idempotency,
and every kind of bad input answered with a clear 4xx that writes nothing."""

import pytest

from tests.tenants.rules.conftest import balance_of


def award(api, world, urls, who="c1_grid", headers=None, **body):
    payload = {"member": str(world.member_id("c1_red")), "rule": "cleanup", "quantity": 1,
               "note": "", **body}
    return api.as_(who).post(urls("c1", "/awards", api=True), json=payload, headers=headers)


def test_award_moves_rule_points_times_quantity_with_a_readable_reason(api, world, urls, app):
    response = award(api, world, urls, rule="service_hour", quantity=3, note="敬老院")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["transaction"]["points"] == 30
    assert body["balance"] == 30
    # the rule's name, the quantity, and the community's local date in ISO form
    assert body["transaction"]["reason"].startswith("志愿服务 ×3 · 20")
    assert body["rule"] == "service_hour" and body["quantity"] == 3
    assert balance_of(app, world, "c1_red") == 30
    ledger = api.as_("c1_red").get(urls("c1", f"/members/{world.member_id('c1_red')}/ledger", api=True))
    assert ledger.json["entries"][0]["reason"] == body["transaction"]["reason"]


def test_admin_may_award_and_resident_may_not(api, world, urls, counts):
    assert award(api, world, urls, who="c1_admin").status_code == 201
    before = counts()
    response = award(api, world, urls, who="c1_blue")
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"
    assert counts() == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"rule": "no-such-rule"}, "rule"),
        ({"rule": 12}, "rule"),
        ({"member": "not-an-id"}, "member"),
        ({"member": "01900000-0000-7000-8000-000000000000"}, "member"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -2}, "quantity"),
        ({"quantity": 10**12}, "quantity"),
        ({"quantity": "3"}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"note": "x" * 501}, "note"),
        ({"note": 5}, "note"),
        ({"extra": "field"}, "extra"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(api, world, urls, counts, body, field):
    before = counts()
    response = award(api, world, urls, **body)
    assert response.status_code == 422, response.json
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert field in response.json["errors"], response.json
    assert counts() == before


def test_member_of_another_community_is_unknown(api, world, urls, counts):
    before = counts()
    response = award(api, world, urls, member=str(world.member_id("c2_red")))
    assert response.status_code == 422
    assert "member" in response.json["errors"]
    assert counts() == before


def test_not_json_and_malformed_json_are_refused(api, world, urls, counts):
    before = counts()
    client = api.as_("c1_grid")
    url = urls("c1", "/awards", api=True)
    assert client.post(url, data="{not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert client.post(url, json=[1, 2]).status_code == 422
    assert counts() == before


def test_daily_cap_is_all_or_nothing_and_reported(api, world, urls, counts):
    assert award(api, world, urls, rule="service_hour", quantity=6).status_code == 201
    before = counts()
    response = award(api, world, urls, rule="service_hour", quantity=3)
    assert response.status_code == 409
    assert response.json["code"] == "cap_reached"
    assert response.json["hits"] == [{"member": str(world.member_id("c1_red")), "period": "day",
                                      "cap": 8, "used": 6}]
    assert counts() == before
    # what still fits is awarded
    assert award(api, world, urls, rule="service_hour", quantity=2).status_code == 201


def test_retired_rule_cannot_be_awarded(api, world, urls, app):
    from core.tenancy.context import use_community
    from tenants.rules.actions import do_retire_rule
    from tenants.rules.queries import rule_by_code
    from tests.tenants.rules.world import actor_for

    with app.app_context(), use_community(world.ids["c1"]):
        do_retire_rule(actor_for(world, "c1_admin"), rule_by_code(world.ids["c1"], "cleanup"))
    response = award(api, world, urls)
    assert response.status_code == 422
    assert response.json["code"] == "rule_retired"
    assert "rule" in response.json["errors"]


def test_idempotency_key_replays_and_never_moves_points_twice(api, world, urls, app):
    headers = {"Idempotency-Key": "award-1"}
    first = award(api, world, urls, rule="fire", headers=headers)
    again = award(api, world, urls, rule="fire", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert balance_of(app, world, "c1_red") == 10
    other = award(api, world, urls, rule="fire", quantity=2, headers=headers)
    assert other.status_code == 409
    assert other.json["code"] == "idempotency_key_reused"
    assert balance_of(app, world, "c1_red") == 10


def test_the_ledger_key_holds_even_if_the_stored_reply_is_lost(api, world, urls, app):
    """A crash after the award committed but before the reply was stored: the retry finds
    the ledger transaction by its key and moves nothing."""
    from sqlalchemy import delete

    from core.api.idempotency import IdempotencyRecord
    from core.extensions import db

    headers = {"Idempotency-Key": "lost-reply"}
    first = award(api, world, urls, rule="service_hour", quantity=8, headers=headers)
    assert first.status_code == 201
    with app.app_context():
        db.session.execute(delete(IdempotencyRecord))
        db.session.commit()
    retry = award(api, world, urls, rule="service_hour", quantity=8, headers=headers)
    # not cap_reached: it is recognised as the same award
    assert retry.status_code == 201, retry.json
    assert retry.json["transaction"]["id"] == first.json["transaction"]["id"]
    assert balance_of(app, world, "c1_red") == 80


def test_two_users_with_the_same_key_each_award(api, world, urls, app):
    headers = {"Idempotency-Key": "same-key"}
    assert award(api, world, urls, who="c1_grid", headers=headers).status_code == 201
    assert award(api, world, urls, who="c1_admin", headers=headers).status_code == 201
    assert balance_of(app, world, "c1_red") == 4


def test_grid_worker_cannot_award_a_rule_for_admins_only(api, world, urls):
    created = api.as_("c1_admin").post(urls("c1", "/rules", api=True), json={
        "code": "honour", "name": "年度优秀志愿者", "category": "表彰", "points": 50,
        "unit": "each", "needs_approval": True, "awarded_by": ["admin"]})
    assert created.status_code == 201, created.json
    response = award(api, world, urls, rule="honour")
    assert response.status_code == 422
    assert response.json["code"] == "rule_not_for_role"
    assert award(api, world, urls, who="c1_admin", rule="honour").status_code == 201


def test_other_community_token_gets_404(api, world, urls):
    response = award(api, world, urls, who="c2_admin")
    assert response.status_code == 404
