"""The marketplace on the dashboards: a voucher redeemed counts in the month with what the
community owes for it (points x the partnership's point value, as settlement will read it),
per merchant too; outstanding points are valued at the partnerships' average point value."""

import re

from tests.merchants.helpers import award, claim_url, redeem_url


def figures(api, world, district="d1"):
    body = api.as_(f"{district}_admin").get(f"/api/v1/districts/{world.slugs[district]}/figures").get_json()
    return {item["community"]: item for item in body["items"]}


def test_a_redeemed_voucher_is_counted_with_what_is_owed(app, api, web, world):
    c1 = world.slugs["c1"]
    before = figures(api, world)[c1]
    award(app, world, "c1_red", 100)
    voucher = api.as_("c1_red").post(claim_url(world, "c1", "m1_meal"), json={}).get_json()["voucher"]
    assert figures(api, world)[c1]["vouchers_redeemed"] == before["vouchers_redeemed"]  # claimed only
    redeemed = api.as_("m1_staff").post(redeem_url(world, "m1"), json={"code": voucher["code"]})
    assert redeemed.status_code == 200
    after = figures(api, world)[c1]
    assert after["vouchers_redeemed"] - before["vouchers_redeemed"] == 1
    owed = float(after["owed_to_merchants"]["amount"]) - float(before["owed_to_merchants"]["amount"])
    assert round(owed, 2) == 10.00  # 100 points x 0.10 yuan (m1's point value with c1)
    assert after["owed_to_merchants"]["currency"] == "CNY"
    # c1 set no point value of its own: its one partnership's (10 fen) values what residents hold
    assert after["liability"] == {"amount": f"{after['points_outstanding'] * 10 / 100:.2f}", "currency": "CNY"}
    # the page has the breakdown per merchant
    web.login("c1_admin")
    page = web.get(f"/c/{c1}/dashboard").get_data(as_text=True)
    table = page[page.index('data-test="breakdown-merchants"'):]
    assert "Merchant m1" in table[:table.index("</table>")]
    assert re.search(r'data-figure="vouchers_redeemed">\d+<', page)


def test_the_checklist_sees_the_partnerships(web, world):
    web.login("d1_admin")
    page = web.get(f"/d/{world.slugs['d1']}/onboard/{world.slugs['c1']}/").get_data(as_text=True)
    assert re.search(r'checklist__item--done" data-test="check-merchants"', page)  # c1 partners m1
    page = web.get(f"/d/{world.slugs['d1']}/onboard/{world.slugs['c3']}/").get_data(as_text=True)
    assert re.search(r'checklist__item--todo" data-test="check-merchants"', page)  # c3: nobody yet
