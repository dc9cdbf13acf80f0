"""The shop's pages: a resident reserves, staff hand over and sell for a resident, the
admin manages the shelf; bad input and missing CSRF tokens write nothing."""

import io
import re

import pytest
from openpyxl import load_workbook

from tenants.shop import actions
from tests.tenants.shop.conftest import balance_of, give, inside, row_counts, stock_of


@pytest.fixture
def shop(world):
    return f"/c/{world.slugs['c1']}/shop"


def new_item(app, world, **kw):
    values = {"name": "page rice", "points": 15, "stock": 5, **kw}
    with inside(app, world) as c:
        return actions.do_create_item(c, actor=None, **values).id


def test_resident_reserves_and_sees_the_pickup_code(web, shop, app, world):
    item_id = new_item(app, world)
    with inside(app, world):
        give(world, "c1_red", 20)
    web.login("c1_red")
    index = web.get(f"{shop}/").get_data(as_text=True)
    assert "page rice" in index and 'data-test="balance">20<' in index
    response = web.post_form(f"{shop}/items/{item_id}", {"quantity": "1"})
    assert response.status_code == 302
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    code = re.search(r'data-test="pickup-code"[^>]*>([^<]+)<', page).group(1)
    assert len(code.replace(" ", "")) == 8
    qr = web.get(response.headers["Location"] + "/qr.png")
    assert qr.status_code == 200 and qr.mimetype == "image/png"
    assert "no-store" in qr.headers["Cache-Control"]
    assert balance_of(app, world, "c1_red") == 5
    mine = web.get(f"{shop}/orders").get_data(as_text=True)
    assert code in mine


@pytest.mark.parametrize("quantity", ["0", "-2", "100", "99999999999999999999", "abc", "1.5", ""])
def test_bad_quantity_on_the_page_is_422_and_writes_nothing(web, shop, app, world, quantity):
    item_id = new_item(app, world)
    with inside(app, world):
        give(world, "c1_red", 100)
    before = row_counts(app, world)
    web.login("c1_red")
    response = web.post_form(f"{shop}/items/{item_id}", {"quantity": quantity})
    assert response.status_code == 422
    assert 'class="field__error"' in response.get_data(as_text=True)
    assert row_counts(app, world) == before


def test_not_enough_points_is_said_in_words(web, shop, app, world):
    item_id = new_item(app, world)
    with inside(app, world):
        give(world, "c1_red", 3)
    web.login("c1_red")
    response = web.post_form(f"{shop}/items/{item_id}", {"quantity": "1"})
    assert response.status_code == 409
    assert "15" in response.get_data(as_text=True) and 'data-test="problem"' in response.get_data(as_text=True)
    assert balance_of(app, world, "c1_red") == 3


def test_post_without_csrf_token_writes_nothing(web, shop, app, world):
    item_id = new_item(app, world)
    with inside(app, world):
        give(world, "c1_red", 100)
    before = row_counts(app, world)
    web.login("c1_red")
    response = web.client.post(f"{shop}/items/{item_id}", data={"quantity": "1"})
    assert response.status_code == 400
    assert row_counts(app, world) == before
    web.logout()
    web.login("c1_admin")
    response = web.client.post(f"{shop}/manage/items/new", data={"name": "x", "points": "1", "stock": "1",
                                                                   "low_stock_at": "1"})
    assert response.status_code == 400
    assert row_counts(app, world) == before


def test_staff_hand_over_by_pickup_code(web, shop, app, world):
    item_id = new_item(app, world)
    with inside(app, world) as c1:
        from tests.tenants.shop.conftest import member

        give(world, "c1_red", 15)
        red = member(world, "c1_red")
        order = actions.do_place_order(c1, c1 and __import__("tenants.shop.queries", fromlist=["x"]).item_by_id(item_id),
                                       red, 1, actor=red.user)
        code, order_id = order.pickup_code, order.id
    web.login("c1_grid")
    counter = web.get(f"{shop}/counter").get_data(as_text=True)
    assert code[:4] in counter
    typed = f"{code[:4].lower()} {code[4:]}"
    found = web.post_form(f"{shop}/counter", {"code": typed})
    assert found.status_code == 302 and str(order_id) in found.headers["Location"]
    wrong = web.post_form(f"{shop}/counter", {"code": "AAAA AAAA"})
    assert wrong.status_code == 404
    handed = web.post_form(f"{shop}/orders/{order_id}/collect", {}, page=f"{shop}/orders/{order_id}")
    assert handed.status_code == 302
    page = web.get(f"{shop}/orders/{order_id}").get_data(as_text=True)
    assert 'data-test="hand-over"' not in page
    assert stock_of(app, world, item_id) == 4


def test_residents_cannot_reach_staff_pages(web, shop, world):
    web.login("c1_red")
    for path in ("/counter", "/stock", "/manage", "/sales.xlsx", f"/for/{world.member_id('c1_blue')}"):
        assert web.get(shop + path).status_code == 403, path


def test_staff_sell_at_the_counter_for_a_resident(web, shop, app, world):
    item_id = new_item(app, world, name="page oil", points=40, stock=2)
    with inside(app, world):
        give(world, "c1_blue", 50)
    web.login("c1_grid")
    url = f"{shop}/for/{world.member_id('c1_blue')}"
    sold = web.post_form(url, {"item": str(item_id), "quantity": "1", "mode": "counter"})
    assert sold.status_code == 302
    page = web.get(sold.headers["Location"]).get_data(as_text=True)
    assert "page oil" in page
    assert balance_of(app, world, "c1_blue") == 10
    refused = web.post_form(url, {"item": str(item_id), "quantity": "1", "mode": "counter"})
    assert refused.status_code == 409
    foreign = web.post_form(url, {"item": str(world.ids["item:c2:rice"]), "quantity": "1", "mode": "counter"})
    assert foreign.status_code == 422
    assert balance_of(app, world, "c1_blue") == 10


def test_admin_creates_an_item_with_a_photo(web, shop, app, world):
    from PIL import Image

    picture = Image.new("RGB", (1600, 900), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif.tobytes())
    web.login("c1_admin")
    page = web.get(f"{shop}/manage/items/new").get_data(as_text=True)
    from tests.helpers import csrf_token

    response = web.client.post(f"{shop}/manage/items/new", data={
        "csrf_token": csrf_token(page), "name": "photo rice", "category": "grain", "points": "15",
        "stock": "3", "low_stock_at": "1", "active": "y",
        "photo": (io.BytesIO(buffer.getvalue()), "rice.jpg"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    index = web.get(f"{shop}/").get_data(as_text=True)
    photo_url = re.search(r'src="([^"]+/photo\?v=1)"', index).group(1).replace("&amp;", "&")
    photo = web.get(photo_url)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    stored = Image.open(io.BytesIO(photo.data))
    assert max(stored.size) == 1200
    assert b"SecretCam" not in photo.data
    assert not stored.getexif()
    web.logout()
    web.login("c2_admin")
    assert web.get(photo_url).status_code == 404


@pytest.mark.parametrize("data, name", [
    (b"GIF89a" + b"\0" * 100, "x.gif"),
    (b"not an image at all", "x.jpg"),
    (b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024 + 10), "big.jpg"),
])
def test_bad_photos_are_refused_and_no_item_is_made(web, shop, app, world, data, name):
    web.login("c1_admin")
    from tests.helpers import csrf_token

    before = row_counts(app, world)
    page = web.get(f"{shop}/manage/items/new").get_data(as_text=True)
    response = web.client.post(f"{shop}/manage/items/new", data={
        "csrf_token": csrf_token(page), "name": "bad photo", "points": "1", "stock": "1", "low_stock_at": "1",
        "photo": (io.BytesIO(data), name),
    }, content_type="multipart/form-data")
    assert response.status_code in (413, 422)
    assert row_counts(app, world) == before


def test_stock_page_lists_low_stock_and_restocks(web, shop, app, world):
    item_id = new_item(app, world, name="low soy", stock=1, low_stock_at=3)
    web.login("c1_grid")
    page = web.get(f"{shop}/stock").get_data(as_text=True)
    low = page.split('data-test="low-stock"')[1].split("</ul>")[0]
    assert "low soy" in low
    assert web.post_form(f"{shop}/stock/{item_id}", {"delta": "10"}, page=f"{shop}/stock").status_code == 302
    assert stock_of(app, world, item_id) == 11
    web.post_form(f"{shop}/stock/{item_id}", {"delta": "-20"}, page=f"{shop}/stock")
    web.post_form(f"{shop}/stock/{item_id}", {"delta": "abc"}, page=f"{shop}/stock")
    assert stock_of(app, world, item_id) == 11


def test_sales_per_month_as_xlsx(web, shop, app, world):
    from core.types import utcnow

    item_id = new_item(app, world, name="xlsx oil", points=40, stock=5)
    with inside(app, world) as c1:
        from tenants.shop.queries import item_by_id
        from tests.tenants.shop.conftest import member

        give(world, "c1_blue", 120)
        blue, grid = member(world, "c1_blue"), member(world, "c1_grid")
        actions.do_place_order(c1, item_by_id(item_id), blue, 2, actor=grid.user, at_counter=True)
        actions.do_place_order(c1, item_by_id(item_id), blue, 1, actor=blue.user)  # not collected
    web.login("c1_grid")
    response = web.get(f"{shop}/sales.xlsx")
    assert response.status_code == 200
    assert "spreadsheetml" in response.mimetype
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    month = utcnow().astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    oil = [r for r in rows if r[1] == "xlsx oil"]
    assert oil == [[month, "xlsx oil", None, 1, 1, 2, 80]]


def test_admin_configures_windows_and_settings(web, shop, app, world):
    web.login("c1_admin")
    bad = web.post_form(f"{shop}/manage/windows/weekly", {"weekday": "5", "opens": "12:00", "closes": "09:00"},
                        page=f"{shop}/manage")
    assert bad.status_code == 422
    ok = web.post_form(f"{shop}/manage/windows/weekly", {"weekday": "5", "opens": "09:00", "closes": "12:00"},
                       page=f"{shop}/manage")
    assert ok.status_code == 302
    dated = web.post_form(f"{shop}/manage/windows/dated", {"start_day": "2030-06-01", "start_time": "08:00",
                                                          "end_day": "2030-05-01", "end_time": "18:00"},
                          page=f"{shop}/manage")
    assert dated.status_code == 422
    settings = web.post_form(f"{shop}/manage/settings", {"expiry_days": "0", "remind_hours": "2"},
                             page=f"{shop}/manage")
    assert settings.status_code == 422
    settings = web.post_form(f"{shop}/manage/settings", {"expiry_days": "7", "remind_hours": "2"},
                             page=f"{shop}/manage")
    assert settings.status_code == 302
    with inside(app, world) as c1:
        from tenants.shop.queries import shop_settings, windows

        assert shop_settings(c1) == {"expiry_days": 7, "remind_hours": 2}
        assert len(windows()) == 1
    page = web.get(f"{shop}/").get_data(as_text=True)
    assert 'data-test="shop-open"' in page or 'data-test="shop-closed"' in page


def test_home_has_shop_tiles(web, world):
    web.login("c1_red")
    home = web.get(f"/c/{world.slugs['c1']}/").get_data(as_text=True)
    assert "/shop/" in home and "/shop/orders" in home and "/shop/counter" not in home
    web.logout()
    web.login("c1_grid")
    home = web.get(f"/c/{world.slugs['c1']}/").get_data(as_text=True)
    assert "/shop/counter" in home and "/assist/" in home
