"""Claiming, cancelling, expiring and redeeming vouchers over the API."""

import re
from datetime import timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.extensions import db
from core.ledger.models import LedgerTransaction
from core.tenancy.context import use_community
from core.types import utcnow
from merchants.offers.models import Offer
from merchants.vouchers.models import Voucher, VoucherStatus
from tests.merchants.helpers import award, balance, claim_url, count, redeem_url

GROUPED = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z]$")


def claim(api, world, who="c1_red", offer="m1_meal", c=None, **kwargs):
    c = c or who.split("_")[0]
    return api.as_(who).post(claim_url(world, c, offer), json=kwargs.pop("json", {}), **kwargs)


def test_a_resident_claims_a_voucher_and_pays_points_once(api, app, world):
    award(app, world, "c1_red", 150)
    response = claim(api, world)
    assert response.status_code == 201, response.json
    voucher = response.json["voucher"]
    assert GROUPED.match(voucher["code"])
    assert voucher["status"] == "issued" and voucher["points"] == 100
    assert voucher["valid_until"]
    assert balance(app, world, "c1_red") == 50
    with app.app_context(), use_community(world.ids["c1"]):
        spends = db.session.scalars(select(LedgerTransaction).where(
            LedgerTransaction.cause_type == "voucher", LedgerTransaction.cause_id == voucher["id"])).all()
        assert len(spends) == 1 and sorted(p.amount for p in spends[0].postings) == [-100, 100]


def test_refusals_are_clear_and_change_nothing(api, app, world):
    award(app, world, "c1_red", 99)
    short = claim(api, world)
    assert short.status_code == 409
    assert short.json["code"] == "insufficient_points"
    assert balance(app, world, "c1_red") == 99
    award(app, world, "c1_red", 300)
    assert claim(api, world).status_code == 201
    assert claim(api, world).status_code == 201
    third = claim(api, world)
    assert third.status_code == 409 and third.json["code"] == "limit_reached"
    assert balance(app, world, "c1_red") == 199
    assert count(app, Voucher, Voucher.offer_id == world.ids["offer:m1_meal"]) == 2


def test_sold_out_and_ended_are_410(api, app, world):
    award(app, world, "c2_red", 100)
    award(app, world, "c2_blue", 100)
    with app.app_context():
        tea = db.session.get(Offer, world.ids["offer:m2_tea"])
        tea.quantity = tea.claimed + 1  # one left
        db.session.commit()
    assert claim(api, world, "c2_red", "m2_tea").status_code == 201
    sold_out = claim(api, world, "c2_blue", "m2_tea")
    assert sold_out.status_code == 410 and sold_out.json["code"] == "sold_out"
    with app.app_context():
        db.session.get(Offer, world.ids["offer:m1_meal"]).valid_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    ended = claim(api, world, "c2_blue", "m1_meal")
    assert ended.status_code == 410 and ended.json["code"] == "offer_ended"
    assert balance(app, world, "c2_blue") == 100


def test_paused_offer_and_suspended_partnership_refuse_claims(api, app, world):
    award(app, world, "c1_red", 500)
    api.as_("m1_owner").post(f"/api/v1/merchants/{world.slugs['m1']}/offers/{world.ids['offer:m1_kit']}/status",
                             json={"status": "paused"})
    paused = claim(api, world, "c1_red", "m1_kit")
    assert paused.status_code == 409 and paused.json["code"] == "offer_paused"
    api.as_("m1_owner").post(f"/api/v1/merchants/{world.slugs['m1']}/partners/{world.slugs['c1']}/suspend")
    assert claim(api, world).status_code == 404  # a suspended partner's offers are not open here
    assert balance(app, world, "c1_red") == 500


def test_idempotency_key_replays_the_first_voucher(api, app, world):
    award(app, world, "c1_red", 300)
    headers = {"Idempotency-Key": "claim-once-1"}
    first = claim(api, world, headers=headers)
    again = claim(api, world, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["voucher"]["code"] == first.json["voucher"]["code"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert balance(app, world, "c1_red") == 200
    other = claim(api, world, headers=headers, json={"member": str(world.member_id("c1_red"))})
    assert other.status_code == 409 and other.json["code"] == "idempotency_key_reused"


def test_the_ledger_key_alone_prevents_a_second_charge(api, app, world):
    """If the API's stored reply is lost (a crash after the commit), the ledger still knows."""
    from core.api.idempotency import IdempotencyRecord

    award(app, world, "c1_red", 300)
    first = claim(api, world, headers={"Idempotency-Key": "k-crash"})
    with app.app_context():
        db.session.execute(IdempotencyRecord.__table__.delete())
        db.session.commit()
    again = claim(api, world, headers={"Idempotency-Key": "k-crash"})
    assert again.status_code == 201
    assert again.json["voucher"]["id"] == first.json["voucher"]["id"]
    assert balance(app, world, "c1_red") == 200


def test_staff_claim_for_a_resident_but_residents_only_for_themselves(api, app, world):
    award(app, world, "c1_blue", 100)
    for_blue = {"member": str(world.member_id("c1_blue"))}
    assert claim(api, world, "c1_red", json=for_blue).status_code == 422
    response = claim(api, world, "c1_grid", json=for_blue)
    assert response.status_code == 201
    assert balance(app, world, "c1_blue") == 0
    assert claim(api, world, "c1_grid", json={"member": str(world.member_id("c2_blue"))}).status_code == 422
    assert claim(api, world, "c1_grid", json={"member": "nope"}).status_code == 422
    assert claim(api, world, "c1_red", json={"member": 5}).status_code == 422


def test_offers_of_other_communities_cannot_be_claimed(api, app, world):
    award(app, world, "c2_red", 100)
    assert claim(api, world, "c2_red", "m1_kit").status_code == 404
    assert claim(api, world, "c2_red", "m1_kit", c="c1").status_code == 404
    assert balance(app, world, "c2_red") == 100


def test_vouchers_are_visible_to_their_holder_and_staff_only(api, app, world):
    award(app, world, "c1_red", 100)
    voucher = claim(api, world).json["voucher"]
    url = f"/api/v1/c/{world.slugs['c1']}/vouchers/{voucher['id']}"
    assert api.as_("c1_red").get(url).json["code"] == voucher["code"]
    assert api.as_("c1_grid").get(url).status_code == 200
    assert api.as_("c1_blue").get(url).status_code == 404
    assert api.as_("c2_admin").get(url).status_code == 404
    assert api.as_("c2_admin").get(f"/api/v1/c/{world.slugs['c2']}/vouchers/{voucher['id']}").status_code == 404
    mine = api.as_("c1_red").get(f"/api/v1/c/{world.slugs['c1']}/vouchers").json["items"]
    assert [v["id"] for v in mine] == [voucher["id"]]
    assert api.as_("c1_blue").get(f"/api/v1/c/{world.slugs['c1']}/vouchers").json["items"] == []


def test_editing_an_offer_never_changes_issued_vouchers(api, app, world):
    award(app, world, "c1_red", 100)
    voucher = claim(api, world).json["voucher"]
    offer_url = f"/api/v1/merchants/{world.slugs['m1']}/offers/{world.ids['offer:m1_meal']}"
    changed = api.as_("m1_owner").request("PATCH", offer_url, json={"title": "New title", "points": 150, "terms": "Dinner too"})
    assert changed.status_code == 200, changed.json
    assert changed.json["title"] == "New title" and changed.json["per_member_limit"] == 2
    after = api.as_("c1_red").get(f"/api/v1/c/{world.slugs['c1']}/vouchers/{voucher['id']}").json
    assert (after["title"], after["points"], after["terms"]) == ("Meal 20% off", 100, "Lunch only.")


def test_cancelling_refunds_points_and_returns_stock(api, app, world):
    award(app, world, "c1_red", 100)
    voucher = claim(api, world).json["voucher"]
    url = f"/api/v1/c/{world.slugs['c1']}/vouchers/{voucher['id']}/cancel"
    assert api.as_("c1_blue").post(url).status_code == 404
    response = api.as_("c1_red").post(url)
    assert response.status_code == 200
    assert response.json["voucher"]["status"] == "cancelled"
    assert balance(app, world, "c1_red") == 100
    with app.app_context():
        assert db.session.get(Offer, world.ids["offer:m1_meal"]).claimed == 0
    again = api.as_("c1_red").post(url)
    assert again.status_code == 410 and again.json["code"] == "cancelled"
    assert balance(app, world, "c1_red") == 100
    assert api.as_("m1_staff").post(redeem_url(world, "m1"), json={"code": voucher["code"]}).status_code == 410


def test_expiry_task_refunds_per_offer_and_is_idempotent(api, app, world):
    from merchants.vouchers import tasks

    award(app, world, "c1_red", 200)
    refunded = claim(api, world).json["voucher"]
    with app.app_context():
        db.session.get(Offer, world.ids["offer:m1_kit"]).refund_on_expiry = False
        db.session.commit()
    kept = claim(api, world, offer="m1_kit").json["voucher"]
    assert balance(app, world, "c1_red") == 70
    with app.app_context(), use_community(world.ids["c1"]):
        for v in db.session.scalars(select(Voucher)):
            v.valid_until = utcnow() - timedelta(minutes=1)
        db.session.commit()
    with app.app_context():
        assert tasks.expire_due.run() == 1
        assert tasks.expire_community.run(str(world.ids["c1"])) == 0  # the second run does nothing
    assert balance(app, world, "c1_red") == 170  # the meal refunded; the kit's offer said no
    url = f"/api/v1/c/{world.slugs['c1']}/vouchers/"
    assert api.as_("c1_red").get(url + refunded["id"]).json["status"] == "expired"
    assert api.as_("c1_red").get(url + kept["id"]).json["status"] == "expired"
    late = api.as_("m1_staff").post(redeem_url(world, "m1"), json={"code": refunded["code"]})
    assert late.status_code == 410 and late.json["code"] == "expired"


def test_monthly_cap_stops_claims_beyond_it(api, app, world):
    url = f"/api/v1/c/{world.slugs['c1']}/partners/{world.slugs['m1']}"
    # 0.10 a point, cap 15.00: one 100-point voucher (10.00) fits, a second would make 20.00
    api.as_("c1_admin").request("PATCH", url, json={"point_value": {"amount": "0.10", "currency": "CNY"},
                                                    "monthly_cap": {"amount": "15", "currency": "CNY"}})
    award(app, world, "c1_red", 100)
    award(app, world, "c1_blue", 100)
    assert claim(api, world, "c1_red").status_code == 201
    capped = claim(api, world, "c1_blue")
    assert capped.status_code == 409 and capped.json["code"] == "cap_reached"
    assert balance(app, world, "c1_blue") == 100


# --- the counter --------------------------------------------------------------------------


def issued(api, app, world, who="c1_red", offer="m1_meal"):
    award(app, world, who, 100)
    return claim(api, world, who, offer).json["voucher"]


def test_counter_redeems_once_and_keeps_what_settlement_needs(api, app, world):
    voucher = issued(api, app, world)
    typed = voucher["code"].lower().replace("-", " ")
    response = api.as_("m1_staff").post(redeem_url(world, "m1"), json={"code": typed})
    assert response.status_code == 200, response.json
    body = response.json["voucher"]
    assert body["status"] == "redeemed" and body["code"] == voucher["code"]
    assert body["community"] == world.slugs["c1"]
    assert body["offer"] == str(world.ids["offer:m1_meal"])
    assert body["holder"] == "c***n"  # "c1 red person", masked
    assert body["redeemed_at"]
    with app.app_context(), use_community(world.ids["c1"]):
        row = db.session.scalar(select(Voucher).where(Voucher.id == UUID(voucher["id"])))
        assert row.status == VoucherStatus.REDEEMED
        assert (row.point_value_minor, row.currency) == (10, "CNY")
        assert row.amount_minor == 1000
        assert row.settlement_month == row.redeemed_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
        assert row.redeemed_by == world.ids["user:m1_staff"]
    again = api.as_("m1_owner").post(redeem_url(world, "m1"), json={"code": voucher["code"]})
    assert again.status_code == 409
    assert again.json["code"] == "already_redeemed"
    assert again.json["redeemed_at"] == body["redeemed_at"] or again.json["redeemed_at"].startswith(body["redeemed_at"][:19])
    assert "m1 counter" in again.json["detail"]


def test_another_merchants_code_is_exactly_an_unknown_code(api, app, world):
    voucher = issued(api, app, world, "c2_red", "m1_meal")
    theirs = api.as_("m2_owner").post(redeem_url(world, "m2"), json={"code": voucher["code"]})
    unknown = api.as_("m2_owner").post(redeem_url(world, "m2"), json={"code": "0000-0000-0000-0000-0"})
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json == unknown.json
    assert theirs.json["code"] == "unknown_code"
    # and m1 can still redeem it: m2's attempt changed nothing
    assert api.as_("m1_staff").post(redeem_url(world, "m1"), json={"code": voucher["code"]}).status_code == 200


@pytest.mark.parametrize("code", ["", "x" * 65, 1234, None])
def test_bad_code_input_is_422(api, world, code):
    response = api.as_("m1_staff").post(redeem_url(world, "m1"), json={"code": code})
    assert response.status_code == 422
    assert "code" in response.json["errors"]


def test_not_yet_valid_and_suspended_partnership_are_refused(api, app, world):
    voucher = issued(api, app, world)
    with app.app_context(), use_community(world.ids["c1"]):
        db.session.scalar(select(Voucher).where(Voucher.id == UUID(voucher["id"]))).valid_from = utcnow() + timedelta(days=1)
        db.session.commit()
    early = api.as_("m1_staff").post(redeem_url(world, "m1"), json={"code": voucher["code"]})
    assert early.status_code == 409 and early.json["code"] == "not_yet_valid"
    with app.app_context(), use_community(world.ids["c1"]):
        db.session.scalar(select(Voucher).where(Voucher.id == UUID(voucher["id"]))).valid_from = utcnow() - timedelta(days=1)
        db.session.commit()
    api.as_("c1_admin").post(f"/api/v1/c/{world.slugs['c1']}/partners/{world.slugs['m1']}/suspend")
    suspended = api.as_("m1_staff").post(redeem_url(world, "m1"), json={"code": voucher["code"]})
    assert suspended.status_code == 409 and suspended.json["code"] == "partnership_suspended"


def test_failed_codes_are_throttled_per_user_and_successes_do_not_count(api, app, world):
    good = [issued(api, app, world, name) for name in ("c1_red", "c1_blue", "c1_green")]
    staff = api.as_("m1_staff")
    url = redeem_url(world, "m1")
    assert staff.post(url, json={"code": good[0]["code"]}).status_code == 200
    for _ in range(5):  # already redeemed: a 409, never a throttled failure
        assert staff.post(url, json={"code": good[0]["code"]}).status_code == 409
    for _ in range(20):
        assert staff.post(url, json={"code": "0000-0000-0000-0000-0"}).status_code == 404
    throttled = staff.post(url, json={"code": good[1]["code"]})
    assert throttled.status_code == 429
    assert throttled.json["code"] == "too_many_requests"
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert staff.post(url + "/preview", json={"code": good[1]["code"]}).status_code == 429


def test_throttle_counts_per_address_too(api, app, world):
    voucher = issued(api, app, world)
    owner, staff = api.as_("m1_owner"), api.as_("m1_staff")
    url = redeem_url(world, "m1")
    for i in range(20):  # two accounts, one till (the same address)
        assert (owner if i % 2 else staff).post(url, json={"code": "ZZZZ"}).status_code == 404
    assert owner.post(url, json={"code": voucher["code"]}).status_code == 429


def test_preview_shows_the_voucher_without_redeeming_it(api, app, world):
    voucher = issued(api, app, world)
    preview = api.as_("m1_staff").post(redeem_url(world, "m1") + "/preview", json={"code": voucher["code"]})
    assert preview.status_code == 200
    assert preview.json["voucher"]["status"] == "issued"
    assert api.as_("m1_staff").post(redeem_url(world, "m1"), json={"code": voucher["code"]}).status_code == 200


def test_merchant_lists_its_redemptions_only(api, app, world):
    mine = issued(api, app, world, "c2_red", "m2_tea")
    theirs = issued(api, app, world, "c2_blue", "m1_meal")
    api.as_("m2_owner").post(redeem_url(world, "m2"), json={"code": mine["code"]})
    api.as_("m1_owner").post(redeem_url(world, "m1"), json={"code": theirs["code"]})
    world_settled = {str(v) for v in world.extra.get("settlement_vouchers", ())}  # redeemed in 2024-01
    items = [i for i in api.as_("m2_owner").get(redeem_url(world, "m2")).json["items"] if i["id"] not in world_settled]
    assert [i["id"] for i in items] == [mine["id"]]
    assert items[0]["code"].endswith(mine["code"][-6:]) and len(items[0]["code"]) < 10


def test_a_till_retrying_with_its_idempotency_key_gets_the_first_answer(api, app, world):
    voucher = issued(api, app, world)
    headers = {"Idempotency-Key": "till-7-0001"}
    first = api.as_("m1_staff").post(redeem_url(world, "m1"), json={"code": voucher["code"]}, headers=headers)
    again = api.as_("m1_staff").post(redeem_url(world, "m1"), json={"code": voucher["code"]}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json == first.json
    plain = api.as_("m1_staff").post(redeem_url(world, "m1"), json={"code": voucher["code"]})
    assert plain.status_code == 409
