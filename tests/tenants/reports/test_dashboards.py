"""The dashboards and the figures API: who sees what, the same numbers on the page, in the
spreadsheet and in the API, sorting and filtering, charts, background exports."""

import io
import re
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from core.extensions import db
from core.figures.months import Month
from core.identity.models import Member
from core.ledger import actions as ledger
from core.tenancy.context import use_community
from core.transactions import atomic


def _move(app, world, login, points, spend):
    """Award (or spend) points in an app context of its own (none is held across requests)."""
    with app.app_context():
        community = world.community(login.split("_")[0])
        with use_community(community.id), atomic():
            member = db.session.scalar(select(Member).where(Member.id == world.member_id(login)))
            if spend:
                ledger.spend(community, member, points, to=ledger.shop_account(community.id), reason="shop")
            else:
                ledger.award(community, member, points, reason="test")
        db.session.remove()


def give(app, world, login, points):
    _move(app, world, login, points, spend=False)


def spend(app, world, login, points):
    _move(app, world, login, points, spend=True)


def this_month(world):
    return str(Month.current("Asia/Shanghai"))  # the world's communities' time zone


def cell(html, slug, figure):
    """The text of a figure's cell in a community's row of the side-by-side table."""
    row = re.search(rf'data-test="row-{slug}">(.*?)</tr>', html, re.S).group(1)
    return re.search(rf'data-figure="{figure}">([^<]*)<', row).group(1).strip()


def figures(api, world, district="d1") -> dict:
    """The figures API's items by community slug (other suites commit points and people in
    the world's communities, so tests compare before and after rather than absolutes)."""
    body = api.as_(f"{district}_admin").get(f"/api/v1/districts/{world.slugs[district]}/figures").get_json()
    return {item["community"]: item for item in body["items"]}


def test_the_district_dashboard_shows_its_communities_side_by_side(app, web, api, world):
    c1, c3 = world.slugs["c1"], world.slugs["c3"]
    before = figures(api, world)
    give(app, world, "c1_red", 30)
    give(app, world, "c3_blue", 7)
    spend(app, world, "c1_red", 12)
    give(app, world, "c2_red", 4321)  # another district's: nowhere on d1's page
    after = figures(api, world)
    assert {c1, c3} <= set(after) and world.slugs["c2"] not in after
    assert after[c1]["points_issued"] - before[c1]["points_issued"] == 30
    assert after[c1]["points_spent"] - before[c1]["points_spent"] == 12
    assert after[c1]["points_outstanding"] - before[c1]["points_outstanding"] == 18
    assert after[c3]["points_issued"] - before[c3]["points_issued"] == 7
    web.login("d1_admin")
    page = web.get(f"/d/{world.slugs['d1']}/dashboard").get_data(as_text=True)
    assert "Community c1" in page and "Community c3" in page and "Community c2" not in page
    for slug in (c1, c3):
        for figure in ("points_issued", "points_spent", "points_outstanding"):
            assert cell(page, slug, figure) == f"{after[slug][figure]:,}", (slug, figure)
    totals = re.search(r'data-test="totals">(.*?)</tr>', page, re.S).group(1)
    # the total covers every community of d1 (other suites may have committed one more)
    issued = sum(item["points_issued"] for item in after.values())
    members = sum(sum(item["members"].values()) for item in after.values())
    assert re.search(rf'data-figure="points_issued">{issued:,}<', totals)
    assert re.search(rf'data-figure="members">{members:,}<', totals)
    assert "4321" not in page and "4,321" not in page


def test_the_api_gives_the_same_numbers_as_the_page(app, web, api, world):
    c1 = world.slugs["c1"]
    before = figures(api, world)[c1]
    give(app, world, "c1_green", 11)
    give(app, world, "c1_red", 4)
    spend(app, world, "c1_green", 3)
    month = this_month(world)
    body = api.as_("d1_admin").get(f"/api/v1/districts/{world.slugs['d1']}/figures?month={month}").get_json()
    assert body["month"] == month and body["next_cursor"] is None
    items = {item["community"]: item for item in body["items"]}
    assert {c1, world.slugs["c3"]} <= set(items) and world.slugs["c2"] not in items
    item = items[c1]
    assert set(item) >= {"community", "members", "active_volunteers", "points_issued", "points_spent",
                         "points_outstanding", "vouchers_redeemed", "owed_to_merchants"}
    assert item["members"]["red"] >= 2 and item["members"]["blue"] >= 1 and item["members"]["green"] >= 1
    assert (item["points_issued"] - before["points_issued"], item["points_spent"] - before["points_spent"],
            item["points_outstanding"] - before["points_outstanding"]) == (15, 3, 12)
    assert item["active_volunteers"] >= 2
    assert item["vouchers_redeemed"] == 0  # no marketplace installed yet
    assert item["owed_to_merchants"] == {"amount": "0.00", "currency": "CNY"}
    web.login("d1_admin")
    page = web.get(f"/d/{world.slugs['d1']}/dashboard?month={month}").get_data(as_text=True)
    for figure in ("points_issued", "points_spent", "points_outstanding", "active_volunteers", "members_red"):
        value = item[figure] if not figure.startswith("members_") else item["members"][figure.split("_")[1]]
        assert cell(page, c1, figure) == f"{value:,}", figure


def test_the_api_refuses_a_malformed_month_and_defaults_to_this_one(api, world):
    client = api.as_("d1_admin")
    for bad in ("2025-13", "2025-1", "may", "2025-05-01", ""):
        response = client.get(f"/api/v1/districts/{world.slugs['d1']}/figures?month={bad}")
        assert response.status_code == 422, bad
        assert response.get_json()["errors"]["month"]
    body = client.get(f"/api/v1/districts/{world.slugs['d1']}/figures").get_json()
    assert body["month"] == this_month(world)
    assert api.get(f"/api/v1/districts/{world.slugs['d1']}/figures").status_code == 401
    assert api.as_("platform").get(f"/api/v1/districts/{world.slugs['d2']}/figures").status_code == 200


def test_the_side_by_side_table_sorts_and_filters(app, web, world):
    give(app, world, "c3_red", 90_000)  # far above whatever other suites left in c1
    web.login("d1_admin")
    base = f"/d/{world.slugs['d1']}/dashboard"
    page = web.get(f"{base}?sort=points_issued&dir=desc").get_data(as_text=True)
    assert page.index('data-test="row-comm-c3"') < page.index('data-test="row-comm-c1"')
    page = web.get(f"{base}?sort=points_issued&dir=asc").get_data(as_text=True)
    assert page.index('data-test="row-comm-c1"') < page.index('data-test="row-comm-c3"')
    page = web.get(f"{base}?q=c3").get_data(as_text=True)
    assert 'data-test="row-comm-c3"' in page and 'data-test="row-comm-c1"' not in page
    page = web.get(f"{base}?section=points").get_data(as_text=True)
    table = page[page.index('data-test="side-by-side"'):]
    assert 'data-figure="points_issued"' in table and 'data-figure="members_red"' not in table
    # nonsense in the query string is ignored, not an error
    assert web.get(f"{base}?sort=drop%20table&dir=sideways&section=nope").status_code == 200
    response = web.get(f"{base}?month=2025-99")
    assert response.status_code == 422
    assert "2025-05" in response.get_data(as_text=True)  # says how to write a month


def test_charts_are_svg_with_title_desc_and_the_numbers(app, web, world):
    give(app, world, "c1_red", 21)
    web.login("d1_admin")
    page = web.get(f"/d/{world.slugs['d1']}/dashboard").get_data(as_text=True)
    charts = re.findall(r'<svg class="chart__svg.*?</svg>', page, re.S)
    assert len(charts) >= 4
    for svg in charts:
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "<script" not in page.split("</main>")[0]  # no inline script anywhere in the page body
    assert "style=" not in page  # CSP: no inline styles either
    kinds = next(svg for svg in charts if "bar--red" in svg)
    assert "Red 2" in kinds or "红 2" in kinds


def test_the_spreadsheet_has_the_pages_numbers(app, web, api, world):
    give(app, world, "c1_red", 13)
    issued = figures(api, world)[world.slugs["c1"]]["points_issued"]
    web.login("d1_admin")
    response = web.get(f"/d/{world.slugs['d1']}/dashboard/figures.xlsx?month={this_month(world)}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book[this_month(world)]
    rows = list(sheet.iter_rows(values_only=True))
    head = rows[0]
    c1 = next(r for r in rows if r[1] == world.slugs["c1"])
    assert c1[head.index(next(h for h in head if "issued" in str(h)))] == issued
    assert rows[-1][0] in ("Total", "合计", "总计") or rows[-1][1] == ""
    assert len(book.sheetnames) >= 2  # the month over month sheet too


def test_a_community_dashboard_is_for_its_admins(app, web, api, world):
    give(app, world, "c1_blue", 9)
    c1 = world.slugs["c1"]
    issued = figures(api, world)[c1]["points_issued"]
    web.login("c1_admin")
    page = web.get(f"/c/{c1}/dashboard").get_data(as_text=True)
    assert f'data-figure="points_issued">{issued:,}<' in page
    response = web.get(f"/c/{c1}/dashboard/figures.xlsx")
    assert response.status_code == 200 and load_workbook(io.BytesIO(response.data)).sheetnames
    web.logout()
    for login in ("c1_grid", "c1_red"):
        web.login(login)
        assert web.get(f"/c/{c1}/dashboard").status_code == 403
        web.logout()
    web.login("d1_admin")  # the district's admin reads its communities' dashboards
    assert web.get(f"/c/{c1}/dashboard").status_code == 200
    assert web.get(f"/c/{world.slugs['c2']}/dashboard").status_code == 404


def test_a_long_export_runs_in_the_background_with_progress(app, web, world):
    web.login("d1_admin")
    response = web.post_form("/exports/start", {"kind": "district_members", "district": world.slugs["d1"]},
                             page=f"/d/{world.slugs['d1']}/dashboard")
    assert response.status_code == 303
    job_url = response.headers["Location"]
    page = web.get(job_url).get_data(as_text=True)  # Celery is eager here: done at once
    assert 'data-test="download"' in page and "js/progress.js" in page
    status = web.get(f"{job_url}/status").get_json()
    assert status["status"] == "done" and status["percent"] == 100
    assert status["done"] == status["total"] == members_of_d1(app, world)
    book = load_workbook(io.BytesIO(web.get(f"{job_url}/file").data))
    rows = list(book.active.iter_rows(values_only=True))
    names = {r[2] for r in rows[1:]}
    assert "c1 red person" in names and "c3 green person" in names
    # nobody of d2's community: by the community column (a name of ours may hold "c2" by chance)
    assert community_name(app, world, "c2") not in {r[0] for r in rows[1:]}
    assert "c2 red person" not in names
    assert web.get("/exports/").status_code == 200


def community_name(app, world, key) -> str:
    from core.tenancy.models import Community

    with app.app_context():
        return db.session.get(Community, world.ids[key]).name


def members_of_d1(app, world) -> int:
    from sqlalchemy import func

    from core.tenancy.context import all_communities
    from core.tenancy.models import Community

    with app.app_context(), all_communities():
        count = db.session.scalar(select(func.count()).select_from(Member).join(
            Community, Community.id == Member.community_id).where(Community.district_id == world.ids["d1"]))
        db.session.remove()
    return count


def test_an_export_of_another_district_is_refused(web, world):
    web.login("d1_admin")
    response = web.post_form("/exports/start", {"kind": "district_members", "district": world.slugs["d2"]},
                             page=f"/d/{world.slugs['d1']}/dashboard")
    assert response.status_code == 404
    response = web.post_form("/exports/start", {"kind": "no_such_kind"}, page=f"/d/{world.slugs['d1']}/dashboard")
    assert response.status_code == 404


def test_export_cells_that_look_like_formulas_stay_text():
    from core.exports.xlsx import safe_cell

    assert safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert safe_cell("-12") == "-12" and safe_cell("王\x07秀英") == "王秀英"
    assert safe_cell(3) == 3


def test_month_links_walk_the_months(web, world):
    web.login("d1_admin")
    page = web.get(f"/d/{world.slugs['d1']}/dashboard?month=2025-01").get_data(as_text=True)
    assert "month=2024-12" in page and "month=2025-02" in page
    assert datetime.now(UTC).year >= 2025


def test_the_community_sets_what_a_point_is_worth(app, web, api, world):
    give(app, world, "c1_red", 40)
    c1 = world.slugs["c1"]
    outstanding = figures(api, world)[c1]["points_outstanding"]
    web.login("c1_admin")
    page = f"/c/{c1}/dashboard"
    assert web.post_form(f"{page}/point-value", {"value": "0.05"}, page=page).status_code == 303
    body = web.get(page).get_data(as_text=True)
    money = f"{outstanding * 5 / 100:,.2f}"  # outstanding points x 0.05 yuan
    assert re.search(rf'data-figure="liability">[^<]*{re.escape(money)}<', body), money
    liability = api.as_("d1_admin").get(f"/api/v1/districts/{world.slugs['d1']}/figures").get_json()
    assert next(i for i in liability["items"] if i["community"] == c1)["liability"] == {
        "amount": f"{outstanding * 5 / 100:.2f}", "currency": "CNY"}
    assert 'value="0.05"' in body
    web.post_form(f"{page}/point-value", {"value": "-1"}, page=page)
    assert 'value="0.05"' in web.get(page).get_data(as_text=True)  # refused, unchanged
    web.post_form(f"{page}/point-value", {"value": ""}, page=page)  # cleared: c1's partnership's value
    money = f"{outstanding * 10 / 100:,.2f}"  # m1 pays c1's residents 0.10 yuan a point
    assert re.search(rf'data-figure="liability">[^<]*{re.escape(money)}<', web.get(page).get_data(as_text=True))
    web.logout()
    web.login("c1_grid")
    assert web.post_form(f"{page}/point-value", {"value": "9"}, page=f"/c/{c1}/").status_code == 403
