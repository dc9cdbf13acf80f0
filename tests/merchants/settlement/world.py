"""Settlement in the test world: in ``WORLD_MONTH`` m1 redeemed two vouchers in c1 and m2 one
in c2, and the month is closed everywhere. ``world.extra["url_args"][<c>]["statement_id"]``
names, for the cross-tenant harness and Schemathesis, m1's statement in c1 and m2's in c2
(m2 is the victim merchant and c2 the victim community: m1 and c1 can see neither).
``world.ids["statement:<m>:<c>"]`` and ``world.ids["offer:settle:<m>"]`` for tests."""

from tests.world import world_step

WORLD_MONTH = "2024-01"


@world_step
def settlement(w):
    from sqlalchemy import select

    from core.extensions import db
    from merchants.settlement.closing import do_close_month
    from merchants.settlement.models import Statement
    from tests.merchants.settlement.helpers import at, make_offer, redeem_at

    offers = {
        "m1": make_offer(w.ids["m1"], [w.ids["c1"], w.ids["c2"]], points=40, title="World lunch",
                         valid_from=at("2023-12-01 00:00"), valid_until=at("2024-02-01 00:00")),
        "m2": make_offer(w.ids["m2"], [w.ids["c2"]], points=25, title="World tea",
                         valid_from=at("2023-12-01 00:00"), valid_until=at("2024-02-01 00:00")),
    }
    for m, offer_id in offers.items():
        w.ids[f"offer:settle:{m}"] = offer_id
    # green residents: they already hold the marketplace's world vouchers (the others' tests
    # expect red and blue to hold none)
    redeemed = [
        redeem_at(w.ids["c1"], w.member_id("c1_green"), offers["m1"], at("2024-01-10 04:00")),
        redeem_at(w.ids["c1"], w.member_id("c1_green"), offers["m1"], at("2024-01-20 04:00")),
        redeem_at(w.ids["c2"], w.member_id("c2_green"), offers["m2"], at("2024-01-12 04:00")),
    ]
    # lists of redemptions in other tests leave these out
    w.extra["settlement_vouchers"] = [r.voucher_id for r in redeemed]
    do_close_month(WORLD_MONTH)
    from core.tenancy.context import all_communities

    with all_communities():
        for m, c in (("m1", "c1"), ("m2", "c2")):
            statement = db.session.scalar(select(Statement).where(
                Statement.merchant_id == w.ids[m], Statement.community_id == w.ids[c],
                Statement.month == WORLD_MONTH))
            w.ids[f"statement:{m}:{c}"] = statement.id
            w.extra.setdefault("url_args", {}).setdefault(c, {}).update({"statement_id": statement.id})
    db.session.remove()
