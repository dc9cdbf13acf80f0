"""Work orders over the API and on the pages: the whole flow, bad input (422, nothing
written), photos, and another community's orders as 404 on every route."""

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.extensions import db
from core.tenancy.context import all_communities
from tenants.workorders.models import OrderEvent, WorkOrder

ENGLISH = {"Accept-Language": "en"}  # the words asserted below are the English source


def api_url(world, community, path=""):
    return f"/api/v1/c/{world.slugs[community]}/workorders{path}"


def page(world, community, path=""):
    return f"/c/{world.slugs[community]}/workorders{path}"


def count(app, model):
    with app.app_context(), all_communities():
        return db.session.scalar(select(func.count()).select_from(model))


def png(colour=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(out, format="PNG")
    return out.getvalue()


def test_the_flow_over_the_api(api, world):
    red, grid = api.as_("c1_red"), api.as_("c1_grid")
    created = red.post(api_url(world, "c1"), json={"category": str(world.ids["category:c1"]),
                                                   "text": "Lift stuck on floor 2", "urgency": "high"})
    assert created.status_code == 201, created.json
    oid = created.json["id"]
    assert created.json["status"] == "reported" and created.json["grid"] == str(world.ids["grid:c1"])
    assert oid in {o["id"] for o in grid.get(api_url(world, "c1")).json["items"]}
    wrong = red.post(api_url(world, "c1", f"/{oid}/confirm"), json={"rating": 5})
    assert wrong.status_code == 409 and wrong.json["code"] == "invalid_transition"
    dispatched = grid.post(api_url(world, "c1", f"/{oid}/dispatch"), json={"member": str(world.member_id("c1_blue"))})
    assert dispatched.status_code == 200 and dispatched.json["assignee"] == str(world.member_id("c1_blue"))
    done = api.as_("c1_blue").post(api_url(world, "c1", f"/{oid}/done"), json={"note": "Called the lift company"})
    assert done.status_code == 200 and done.json["status"] == "done"
    closed = red.post(api_url(world, "c1", f"/{oid}/confirm"), json={"rating": 4, "comment": "ok"})
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    assert [e["step"] for e in closed.json["timeline"]] == ["reported", "dispatched", "done", "confirmed"]
    assert closed.json["handlers"] == [{"member": str(world.member_id("c1_blue")), "points": 7}]
    figures = grid.get(api_url(world, "c1", "/figures?from=2000-01&to=2100-12"))
    assert figures.status_code == 200 and figures.json["items"][0]["community"] == world.slugs["c1"]
    assert grid.get(api_url(world, "c1", "/figures?from=x&to=2100-12")).status_code == 422


@pytest.mark.parametrize("body, field", [
    ({"text": "x"}, "category"),
    ({"category": "nope", "text": "x"}, "category"),
    ({"category": "{other}", "text": "x"}, "category"),
    ({"category": "{category}", "text": ""}, "text"),
    ({"category": "{category}", "text": "x" * 2001}, "text"),
    ({"category": "{category}", "text": "x", "urgency": "now"}, "urgency"),
    ({"category": "{category}", "text": "x", "reporter": "{c2_red}"}, "reporter"),
    ({"category": "{category}", "text": "x", "extra": True}, "extra"),
])
def test_bad_reports_are_422_and_write_nothing(api, world, app, body, field):
    values = {"category": str(world.ids["category:c1"]), "other": str(world.ids["category:c2"]),
              "c2_red": str(world.member_id("c2_red"))}
    body = {k: (v.format(**values) if isinstance(v, str) else v) for k, v in body.items()}
    before = count(app, WorkOrder)
    response = api.as_("c1_grid").post(api_url(world, "c1"), json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert count(app, WorkOrder) == before


def test_step_bodies_are_checked(api, world, app):
    oid = world.ids["order:c1"]
    grid = api.as_("c1_grid")
    before = count(app, OrderEvent)
    assert grid.post(api_url(world, "c1", f"/{oid}/dispatch"), json={}).status_code == 422
    both = grid.post(api_url(world, "c1", f"/{oid}/dispatch"), json={
        "member": str(world.member_id("c1_blue")), "team": str(world.ids["team:c1"])})
    assert both.status_code == 422
    assert grid.post(api_url(world, "c1", f"/{oid}/reject"), json={"reason": ""}).status_code == 422
    assert api.as_("c1_red").post(api_url(world, "c1", f"/{oid}/accept"), json={}).status_code == 403
    assert count(app, OrderEvent) == before
    assert api.as_("c1_red").post(api_url(world, "c1", "/categories"), json={
        "name": "x", "kind": "need"}).status_code == 403
    created = api.as_("c1_admin").post(api_url(world, "c1", "/categories"), json={
        "name": "Tree care", "kind": "wish", "rule": "repair_help", "bonus_points": 1})
    assert created.status_code == 201 and created.json["rule"] == "repair_help"
    unknown = api.as_("c1_admin").post(api_url(world, "c1", "/categories"), json={"name": "y", "kind": "need", "rule": "nope"})
    assert unknown.status_code == 422 and "rule" in unknown.json["errors"]


def test_residents_see_only_their_orders(api, world):
    oid = world.ids["order:c1"]
    assert api.as_("c1_red").get(api_url(world, "c1", f"/{oid}")).status_code == 200  # the reporter
    assert api.as_("c1_blue").get(api_url(world, "c1", f"/{oid}")).status_code == 404  # not theirs
    assert oid not in {o["id"] for o in api.as_("c1_blue").get(api_url(world, "c1")).json["items"]}


API_ROUTES = [
    ("GET", "", None), ("POST", "/accept", {}), ("POST", "/dispatch", {"member": "{member}"}),
    ("POST", "/reject", {"reason": "r"}), ("POST", "/cancel", {}), ("POST", "/done", {"note": "n"}),
    ("POST", "/confirm", {"rating": 5}),
]


@pytest.mark.parametrize("method, path, body", API_ROUTES)
def test_another_communitys_order_is_404_over_the_api(api, world, app, method, path, body):
    member = str(world.member_id("c2_blue"))
    json_body = {k: (v.format(member=member) if isinstance(v, str) else v) for k, v in body.items()} if body is not None else None
    before = count(app, OrderEvent)
    target = f"/{world.ids['order:c1']}{path}"
    assert api.as_("c2_admin").request(method, api_url(world, "c2", target), json=json_body).status_code == 404
    assert api.as_("c2_admin").request(method, api_url(world, "c1", target), json=json_body).status_code == 404
    assert count(app, OrderEvent) == before


# --- pages ---------------------------------------------------------------------------------


def test_resident_reports_with_a_photo_and_sees_it(web, world):
    web.login("c1_red")
    new = page(world, "c1", "/new")
    response = web.post_form(new, {"category": str(world.ids["category:c1"]), "text": "Broken railing",
                                   "place": "Stairs", "urgency": "high",
                                   "photo": (io.BytesIO(png()), "railing.png")},
                             page=new, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    detail = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Broken railing" in detail and "/photo/report" in detail
    photo = web.get(response.headers["Location"] + "/photo/report")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(photo.data)).format == "JPEG"


@pytest.mark.parametrize("data, filename", [(b"not an image", "x.jpg"), (b"<svg/>", "x.svg"), (b"", "empty.png")])
def test_bad_photos_are_refused_and_nothing_is_written(web, world, app, data, filename):
    web.login("c1_red")
    new = page(world, "c1", "/new")
    before = count(app, WorkOrder)
    response = web.post_form(new, {"category": str(world.ids["category:c1"]), "text": "Broken railing",
                                   "urgency": "normal", "photo": (io.BytesIO(data), filename)},
                             page=new, content_type="multipart/form-data")
    assert response.status_code == 422
    assert count(app, WorkOrder) == before


def test_staff_take_the_order_on_the_page_and_a_wrong_step_says_why(web, world):
    web.login("c1_grid")
    detail = page(world, "c1", f"/{world.ids['order:c1']}")
    html = web.get(detail).get_data(as_text=True)
    assert 'data-test="accept"' in html and 'data-test="timeline"' in html
    assert web.post_form(detail + "/accept", {}, page=detail).status_code == 302
    again = web.post_form(detail + "/accept", {}, page=detail, headers=ENGLISH)
    assert again.status_code == 409
    assert "cannot be accepted now" in again.get_data(as_text=True)
    queue = web.get(page(world, "c1", "/")).get_data(as_text=True)
    assert 'data-test="queue"' in queue


PAGES = [("GET", ""), ("POST", "/accept"), ("POST", "/dispatch"), ("POST", "/reject"), ("POST", "/cancel"),
         ("POST", "/done"), ("POST", "/confirm"), ("GET", "/photo/report"), ("GET", "/photo/done")]


@pytest.mark.parametrize("method, path", PAGES)
def test_c2_admin_gets_404_on_c1_orders(web, world, method, path):
    web.login("c2_admin")
    target = f"/{world.ids['order:c1']}{path}"
    if method == "GET":
        assert web.get(page(world, "c2", target)).status_code == 404
        assert web.get(page(world, "c1", target)).status_code == 404
    else:
        home = page(world, "c2", "/")
        data = {"member": str(world.member_id("c2_blue")), "reason": "r", "note": "n", "rating": "5"}
        assert web.post_form(page(world, "c2", target), data, page=home).status_code == 404
        assert web.post_form(page(world, "c1", target), data, page=home).status_code == 404


def upload(client, url, data, filename="photo.png"):
    return client.request("PUT", url, data={"photo": (io.BytesIO(data), filename)},
                          content_type="multipart/form-data")


def stored_photos(app, world):
    folder = __import__("pathlib").Path(app.config["UPLOAD_FOLDER"]) / str(world.ids["c1"]) / "workorders"
    return set(folder.glob("*.jpg")) if folder.exists() else set()


def test_photos_over_the_api(api, world, app):
    red, blue, grid = api.as_("c1_red"), api.as_("c1_blue"), api.as_("c1_grid")
    oid = red.post(api_url(world, "c1"), json={"category": str(world.ids["category:c1"]),
                                                "text": "Broken bench"}).json["id"]
    report_url = api_url(world, "c1", f"/{oid}/photos/report")
    done_url = api_url(world, "c1", f"/{oid}/photos/done")
    assert red.get(report_url).status_code == 404  # none yet
    sent = upload(red, report_url, png())
    assert sent.status_code == 200, sent.json
    assert sent.json["photos"]["report"].endswith(f"/{oid}/photos/report") and sent.json["photos"]["done"] is None
    photo = grid.get(report_url)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(photo.data)).format == "JPEG"
    # a second one replaces the first, and the first file is gone
    before = stored_photos(app, world)
    assert upload(red, report_url, png((200, 10, 10))).status_code == 200
    assert len(stored_photos(app, world)) == len(before)
    assert Image.open(io.BytesIO(grid.get(report_url).data)).getpixel((5, 5))[0] > 150
    # the work's photo: not before the work is done, and only by whoever did it (or staff)
    assert upload(blue, done_url, png()).status_code == 404  # not hers to see yet
    early = upload(grid, done_url, png())
    assert early.status_code == 409 and early.json["code"] == "invalid_transition"
    grid.post(api_url(world, "c1", f"/{oid}/dispatch"), json={"member": str(world.member_id("c1_blue"))})
    assert blue.post(api_url(world, "c1", f"/{oid}/done"), json={"note": "Fixed"}).status_code == 200
    assert upload(red, done_url, png()).status_code == 403  # the reporter did not do the work
    late_report = upload(red, report_url, png())
    assert late_report.status_code == 409
    done = upload(blue, done_url, png())
    assert done.status_code == 200 and done.json["photos"]["done"].endswith("/photos/done")
    assert red.get(done_url).status_code == 200  # the reporter sees what was done


@pytest.mark.parametrize("files, field", [
    ({"photo": (io.BytesIO(b"not an image"), "x.png")}, "photo"),
    ({}, "photo"),
])
def test_bad_photo_uploads_over_the_api_write_nothing(api, world, app, files, field):
    red = api.as_("c1_red")
    oid = red.post(api_url(world, "c1"), json={"category": str(world.ids["category:c1"]),
                                                "text": "Leaking pipe"}).json["id"]
    before = stored_photos(app, world)
    response = red.request("PUT", api_url(world, "c1", f"/{oid}/photos/report"), data=files,
                           content_type="multipart/form-data")
    assert response.status_code == 422 and field in response.json["errors"]
    assert stored_photos(app, world) == before
    assert red.get(api_url(world, "c1", f"/{oid}")).json["photos"] == {"report": None, "done": None}
    unknown = red.request("PUT", api_url(world, "c1", f"/{oid}/photos/elsewhere"),
                          data={"photo": (io.BytesIO(png()), "p.png")}, content_type="multipart/form-data")
    assert unknown.status_code == 404
