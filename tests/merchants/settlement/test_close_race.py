"""The race at midnight: a till's redemption in March is still committing when March is
closed. The close waits for it (PostgreSQL: the month's advisory lock; SQLite: the write
lock every writing transaction takes first) and counts it: nothing is lost. Real threads and
real commits, so this test makes its own community (unique names) instead of rolling back."""

import threading
import uuid

from core.extensions import db
from merchants.vouchers import actions as voucher_actions
from tests.merchants.settlement.helpers import (
    at,
    make_offer,
    new_community,
    redeem_at,
    statements_of,
)


def test_a_close_waits_for_a_redemption_in_flight(app, world, monkeypatch):
    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        cid, resident = new_community(world, f"race-{tag}", partners=[("m1", 10)])
        offer = make_offer(world.ids["m1"], [cid], points=6)
        db.session.remove()

    locked, go = threading.Event(), threading.Event()
    real = voucher_actions.open_month_for_redemption

    def pause_after_the_lock(community_id, month):
        result = real(community_id, month)
        if community_id == cid:
            locked.set()
            go.wait(20)
        return result

    monkeypatch.setattr(voucher_actions, "open_month_for_redemption", pause_after_the_lock)
    outcome = {}

    def till():
        with app.app_context():
            outcome["redeemed"] = redeem_at(cid, resident, offer, at("2031-03-31 15:59"))
            db.session.remove()

    def close():
        from merchants.settlement.closing import do_close_community_month

        with app.app_context():
            outcome["closed"] = do_close_community_month(cid, "2031-03", now=at("2031-04-01 00:00"))
            db.session.remove()

    redeeming = threading.Thread(target=till)
    redeeming.start()
    assert locked.wait(20), "the redemption never reached the month's lock"
    closing = threading.Thread(target=close)
    closing.start()
    closing.join(1.5)
    assert closing.is_alive(), "the close did not wait for the redemption in flight"
    go.set()
    redeeming.join(30)
    closing.join(30)
    assert outcome["redeemed"].settlement_month == "2031-03"
    assert outcome["closed"].vouchers == 1
    with app.app_context():
        statement = statements_of(cid, "2031-03")[(world.ids["m1"], "CNY")]
        assert statement.vouchers == 1 and statement.amount_minor == 60
        # and a redemption after the close lands in April
        late = redeem_at(cid, resident, offer, at("2031-03-31 15:59:30"))
        assert late.settlement_month == "2031-04"
        db.session.remove()
