"""The activity pages: a resident signs up from the phone page, staff use the door and the
sheet, and other communities' activities are 404."""

from datetime import timedelta

import pytest

from core.extensions import db
from core.tenancy.context import use_community
from tenants.activities import codes
from tenants.activities.models import Activity

ENGLISH = {"Accept-Language": "en"}  # the words asserted below are the English source


def page(world, community, path=""):
    return f"/c/{world.slugs[community]}/activities{path}"


def test_resident_sees_the_list_and_signs_up(web, world):
    web.login("c1_blue")
    listing = web.get(page(world, "c1", "/")).get_data(as_text=True)
    assert "c1 Clean-up of the river bank" in listing and "c2 Clean-up" not in listing
    detail_url = page(world, "c1", f"/{world.ids['activity:c1']}")
    signed = web.post_form(detail_url + "/signup", {}, page=detail_url)
    assert signed.status_code == 302
    html = web.get(detail_url).get_data(as_text=True)
    assert 'data-test="my-status"' in html
    again = web.post_form(detail_url + "/signup", {}, page=detail_url)
    assert again.status_code == 303  # refused with the reason on the page


def test_staff_create_form_refuses_bad_input(web, world):
    web.login("c1_admin")
    new = page(world, "c1", "/new")
    assert web.get(new).status_code == 200
    bad = web.post_form(new, {"title": "", "place": "", "capacity": "x", "rule": "act_hour"}, page=new)
    assert bad.status_code == 422
    ends_first = web.post_form(new, {"title": "T", "place": "P", "capacity": "3", "rule": "act_hour", "min_share": "60",
                                     "starts_at": "2031-01-01T10:00", "ends_at": "2031-01-01T09:00",
                                     "signup_deadline": "2031-01-01T08:00"}, page=new, headers=ENGLISH)
    assert ends_first.status_code == 422
    assert "The end must be after the start." in ends_first.get_data(as_text=True)
    created = web.post_form(new, {"title": "Tree planting", "place": "P", "capacity": "3", "rule": "act_hour",
                                  "min_share": "60", "starts_at": "2031-01-01T10:00", "ends_at": "2031-01-01T12:00",
                                  "signup_deadline": "2031-01-01T08:00", "publish": "y"}, page=new)
    assert created.status_code == 302


def test_door_page_shows_the_code_and_finds_by_number(web, world, app):
    with app.app_context(), use_community(world.ids["c1"]):
        activity = db.session.get(Activity, {"community_id": world.ids["c1"], "id": world.ids["activity:c1"]})
        code = codes.current_code(activity)[0]
        from tests.tenants.activities.helpers import move

        move(activity, starts_in=-timedelta(minutes=10))
    web.login("c1_grid")
    door = page(world, "c1", f"/{world.ids['activity:c1']}/door")
    html = web.get(door + "?q=c1 red").get_data(as_text=True)
    assert f"{code[:3]} {code[3:]}" in html or "door-code" in html
    assert 'data-test="check-in"' in html
    done = web.post_form(page(world, "c1", f"/{world.ids['activity:c1']}/checkin"),
                         {"member": str(world.member_id("c1_red"))}, page=door)
    assert done.status_code == 302
    assert 'data-test="check-out"' in web.get(door + "?q=c1 red").get_data(as_text=True)
    assert web.get(door + "/code").json["code"].isdigit()
    web.logout()
    web.login("c1_red")
    assert web.get(door).status_code == 403
    assert web.get(door + "/code").status_code == 403


PAGES = [("GET", ""), ("POST", "/door"), ("POST", "/signup"), ("POST", "/cancel"), ("POST", "/code"), ("POST", "/publish"),
         ("GET", "/door"), ("GET", "/door/code"), ("POST", "/checkin"), ("POST", "/checkout"),
         ("GET", "/sheet"), ("POST", "/makeup"), ("POST", "/close")]


@pytest.mark.parametrize("method, path", PAGES)
def test_c2_admin_gets_404_on_c1_activity(web, world, method, path):
    web.login("c2_admin")
    target = f"/{world.ids['activity:c1']}{path}"
    if method == "GET":
        assert web.get(page(world, "c2", target)).status_code == 404
        assert web.get(page(world, "c1", target)).status_code == 404
    else:
        home = page(world, "c2", "/")
        data = {"member": str(world.member_id("c1_red")), "code": "123456", "minutes": "5", "reason": "r"}
        assert web.post_form(page(world, "c2", target), data, page=home).status_code == 404
        assert web.post_form(page(world, "c1", target), data, page=home).status_code == 404


def test_door_finds_a_resident_by_card_and_throttles_wrong_cards(web, world, app):
    from sqlalchemy import select

    from core.identity.models import Member
    from tenants.cards.queries import current_code

    with app.app_context(), use_community(world.ids["c1"]):
        red = db.session.scalar(select(Member).where(Member.id == world.member_id("c1_red")))
        code = current_code(red)
    web.login("c1_grid")
    door = page(world, "c1", f"/{world.ids['activity:c1']}/door")
    found = web.post_form(door, {"q": code}, page=door).get_data(as_text=True)
    assert "c1 red person" in found and 'name="how" value="card"' in found
    assert code not in found  # the code is not echoed back into the page
    number, _dash, mac = code.partition("-")
    wrong = f"{number}-{'A' * len(mac) if mac[0] != 'A' else 'B' * len(mac)}"
    for _ in range(20):
        miss = web.post_form(door, {"q": wrong}, page=door)
        assert miss.status_code == 200 and "c1 red person" not in miss.get_data(as_text=True).split("door-results")[-1]
    assert web.post_form(door, {"q": code}, page=door).status_code == 429
