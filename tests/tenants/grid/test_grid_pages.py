"""The grid's admin pages: tables, forms, refusals, and other communities' rows as 404."""

import pytest

ENGLISH = {"Accept-Language": "en"}  # the words asserted below are the English source


def page(world, community, path=""):
    return f"/c/{world.slugs[community]}/grid{path}"


def residents_table(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index('data-test="residents"')
    return html[start:html.index("</table>", start)]


def test_admin_sees_the_tables_and_creates_a_grid(web, world):
    web.login("c1_admin")
    listing = web.get(page(world, "c1", "/"))
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "c1 G1" in html and "c1 G1-a" in html and "c2 G1" not in html
    created = web.post_form(page(world, "c1", "/"), {"name": "South", "parent": "", "note": ""},
                            page=page(world, "c1", "/"))
    assert created.status_code == 302
    assert "South" in web.get(page(world, "c1", "/")).get_data(as_text=True)


def test_bad_and_conflicting_input_is_shown_on_the_page(web, world):
    web.login("c1_admin")
    empty = web.post_form(page(world, "c1", "/"), {"name": "", "parent": ""}, page=page(world, "c1", "/"))
    assert empty.status_code == 422 and "error-summary" in empty.get_data(as_text=True)
    dup = web.post_form(page(world, "c1", "/"), {"name": "c1 G1", "parent": ""}, page=page(world, "c1", "/"),
                        headers=ENGLISH)
    assert dup.status_code == 409
    assert "A grid with this name already exists." in dup.get_data(as_text=True)


def test_team_page_add_member_and_make_leader(web, world):
    web.login("c1_admin")
    team_url = page(world, "c1", f"/teams/{world.ids['team:c1']}")
    added = web.post_form(team_url + "/members", {"member": str(world.member_id("c1_red"))}, page=team_url)
    assert added.status_code == 302
    led = web.post_form(team_url + "/leader", {"member": str(world.member_id("c1_red"))}, page=team_url)
    assert led.status_code == 302
    html = web.get(team_url).get_data(as_text=True)
    assert "c1 red person" in html
    twice = web.post_form(team_url + "/members", {"member": str(world.member_id("c1_red"))}, page=team_url)
    assert twice.status_code == 409


def test_building_page_attach_and_detach(web, world):
    web.login("c1_admin")
    building_url = page(world, "c1", f"/buildings/{world.ids['building:c1']}")
    assert "c1 red person" in residents_table(web.get(building_url))
    gone = web.post_form(building_url + "/residents/remove", {"member": str(world.member_id("c1_red"))},
                         page=building_url)
    assert gone.status_code == 302
    assert "c1 red person" not in residents_table(web.get(building_url))
    back = web.post_form(building_url + "/residents", {"member": str(world.member_id("c1_red")), "unit": "3-1"},
                         page=building_url)
    assert back.status_code == 302
    assert "3-1" in residents_table(web.get(building_url))


def test_residents_may_not_open_grid_pages_and_workers_may_not_change_them(web, world):
    web.login("c1_red")
    assert web.get(page(world, "c1", "/")).status_code == 403
    web.logout()
    web.login("c1_grid")
    assert web.get(page(world, "c1", "/")).status_code == 200
    refused = web.post_form(page(world, "c1", "/"), {"name": "Mine"}, page=page(world, "c1", "/"))
    assert refused.status_code == 403


PAGES = [
    ("GET", "/{grid}"), ("POST", "/{grid}"), ("POST", "/{grid}/staff"), ("POST", "/{grid}/staff/remove"),
    ("GET", "/buildings/{building}"), ("POST", "/buildings/{building}/residents"),
    ("POST", "/buildings/{building}/residents/remove"), ("POST", "/buildings/{building}/grid"),
    ("GET", "/teams/{team}"), ("POST", "/teams/{team}/members"), ("POST", "/teams/{team}/members/remove"),
    ("POST", "/teams/{team}/leader"),
]


@pytest.mark.parametrize("method, path", PAGES)
def test_c2_admin_gets_404_on_c1_rows(web, world, method, path):
    web.login("c2_admin")
    filled = path.format(grid=world.ids["grid:c1"], building=world.ids["building:c1"], team=world.ids["team:c1"])
    home = page(world, "c2", "/")
    if method == "GET":
        assert web.get(page(world, "c2", filled)).status_code == 404
        assert web.get(page(world, "c1", filled)).status_code == 404
    else:
        data = {"member": str(world.member_id("c1_red")), "name": "x", "grid": str(world.ids["grid:c1"])}
        assert web.post_form(page(world, "c2", filled), data, page=home).status_code == 404
        assert web.post_form(page(world, "c1", filled), data, page=home).status_code == 404
