"""The marketplace's pages, driven like a browser (forms with CSRF tokens)."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from core.types import utcnow
from merchants.offers.models import Offer
from merchants.partners.models import Merchant, MerchantStatus
from tests.merchants.helpers import award, balance, count

CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z]")


def local(dt):
    return dt.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def offer_form(world, **extra):
    now = utcnow()
    return {"title": "周末套餐", "kind": "voucher", "points": "60", "valid_from": local(now - timedelta(hours=1)),
            "valid_until": local(now + timedelta(days=7)), "quantity": "10", "per_member_limit": "1",
            "communities": [world.slugs["c1"], world.slugs["c2"]], "terms": "周末可用", "cancellable": "y",
            "market_price": "50", "offer_price": "40", "save": "publish", **extra}


def test_owner_publishes_an_offer_and_residents_of_both_communities_see_it(web, world, app):
    web.login("m1_owner")
    m1 = world.slugs["m1"]
    form = web.get(f"/m/{m1}/offers/new").get_data(as_text=True)
    assert world.slugs["c1"] in form and world.slugs["c2"] in form and world.slugs["c3"] not in form
    response = web.post_form(f"/m/{m1}/offers/new", offer_form(world))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert "周末套餐" in web.get(f"/m/{m1}/offers/").get_data(as_text=True)
    web.logout()
    for who in ("c1_red", "c2_red"):
        web.login(who)
        page = web.get(f"/c/{world.slugs[who[:2]]}/offers/").get_data(as_text=True)
        assert "周末套餐" in page and "¥10.00" in page, who  # the saving is shown
        web.logout()


def test_bad_offer_form_is_422_with_the_errors_and_writes_nothing(web, world, app):
    web.login("m1_owner")
    before = count(app, Offer)
    response = web.post_form(f"/m/{world.slugs['m1']}/offers/new", offer_form(
        world, points="0", offer_price="1.234", communities=[]), page=f"/m/{world.slugs['m1']}/offers/new")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "error-summary" in page and 'id="points-error"' in page
    assert count(app, Offer) == before


def test_resident_claims_and_sees_the_code_large_with_a_qr(web, world, app):
    award(app, world, "c1_red", 120)
    web.login("c1_red")
    offer_url = f"/c/{world.slugs['c1']}/offers/{world.ids['offer:m1_meal']}"
    detail = web.get(offer_url).get_data(as_text=True)
    assert "Meal 20% off" in detail and "Lunch only." in detail
    response = web.post_form(offer_url + "/claim", page=offer_url)
    assert response.status_code == 302
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert CODE.search(page), page[:3000]
    assert '<svg class="qr"' in page and 'class="voucher-code__text mono"' in page
    assert balance(app, world, "c1_red") == 20


def test_claim_form_is_safe_to_submit_twice(web, world, app):
    award(app, world, "c1_red", 300)
    web.login("c1_red")
    offer_url = f"/c/{world.slugs['c1']}/offers/{world.ids['offer:m1_meal']}"
    page = web.get(offer_url).get_data(as_text=True)
    key = re.search(r'name="request_key" value="([^"]+)"', page).group(1)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    first = web.client.post(offer_url + "/claim", data={"csrf_token": token, "request_key": key})
    second = web.client.post(offer_url + "/claim", data={"csrf_token": token, "request_key": key})
    assert first.headers["Location"] == second.headers["Location"]
    assert balance(app, world, "c1_red") == 200


def test_claim_refusal_is_shown_in_words(web, world, app):
    web.login("c1_red")
    offer_url = f"/c/{world.slugs['c1']}/offers/{world.ids['offer:m1_meal']}"
    response = web.post_form(offer_url + "/claim", page=offer_url)
    assert response.status_code == 409
    assert 'data-test="claim-error"' in response.get_data(as_text=True)


def claim_code(web, world, app, who="c1_red", offer="m1_meal"):
    award(app, world, who, 100)
    web.login(who)
    c = who[:2]
    url = f"/c/{world.slugs[c]}/offers/{world.ids['offer:' + offer]}"
    location = web.post_form(url + "/claim", page=url).headers["Location"]
    code = CODE.search(web.get(location).get_data(as_text=True)).group(0)
    web.logout()
    return code


def test_counter_checks_confirms_and_refuses_a_second_redemption(web, world, app):
    code = claim_code(web, world, app)
    web.login("m1_staff")
    counter = f"/m/{world.slugs['m1']}/counter/"
    page = web.get(counter).get_data(as_text=True)
    assert 'inputmode="text"' in page and 'autocapitalize="characters"' in page
    assert "js/counter.js" in page and "<script>" not in page
    check = web.post_form(counter, {"code": code.lower().replace("-", "")}, page=counter)
    text = check.get_data(as_text=True)
    assert check.status_code == 200 and 'data-test="verdict-confirm"' in text
    assert "c***n" in text and "Community c1" in text and "Meal 20% off" in text
    done = web.post_form(counter + "redeem", {"code": code}, page=counter)
    assert done.status_code == 200 and 'data-test="verdict-ok"' in done.get_data(as_text=True)
    again = web.post_form(counter + "redeem", {"code": code}, page=counter)
    assert again.status_code == 409
    assert 'data-code="already_redeemed"' in again.get_data(as_text=True)
    assert "m1 counter" in again.get_data(as_text=True)  # by whom
    history = web.get(f"/m/{world.slugs['m1']}/counter/history").get_data(as_text=True)
    assert "Meal 20% off" in history and code not in history


def test_counter_answers_unknown_and_foreign_codes_alike(web, world, app):
    foreign = claim_code(web, world, app, "c2_red", "m1_meal")
    web.login("m2_owner")
    counter = f"/m/{world.slugs['m2']}/counter/"
    a = web.post_form(counter, {"code": foreign}, page=counter)
    b = web.post_form(counter, {"code": "0000-0000-0000-0000-0"}, page=counter)
    assert a.status_code == b.status_code == 404
    verdict = re.compile(r'<section class="verdict.*?</section>', re.S)
    strip = lambda r, c: verdict.search(r.get_data(as_text=True)).group(0).replace(c, "")  # noqa: E731
    assert strip(a, foreign) == strip(b, "0000-0000-0000-0000-0")
    assert 'data-code="unknown_code"' in a.get_data(as_text=True)


def test_counter_throttles_after_20_failures(web, world, app):
    web.login("m1_staff")
    counter = f"/m/{world.slugs['m1']}/counter/"
    for _ in range(20):
        assert web.post_form(counter, {"code": "AAAA"}, page=counter).status_code == 404
    response = web.post_form(counter, {"code": "AAAA"}, page=counter)
    assert response.status_code == 429
    assert 'data-code="too_many_requests"' in response.get_data(as_text=True)


def test_resident_hands_a_voucher_back(web, world, app):
    award(app, world, "c1_red", 100)
    web.login("c1_red")
    url = f"/c/{world.slugs['c1']}/offers/{world.ids['offer:m1_meal']}"
    voucher_url = web.post_form(url + "/claim", page=url).headers["Location"]
    assert balance(app, world, "c1_red") == 0
    response = web.post_form(voucher_url + "/cancel", page=voucher_url)
    assert response.status_code == 302
    assert 'data-phase="cancelled"' in web.get(voucher_url).get_data(as_text=True)
    assert balance(app, world, "c1_red") == 100


def test_community_admin_approves_an_application_with_terms(web, world, app):
    web.login("m2_owner")
    partners = f"/m/{world.slugs['m2']}/partners"
    assert web.post_form(partners, {"community": world.slugs["c1"], "message": "想合作"}).status_code == 302
    web.logout()
    web.login("c1_admin")
    page_url = f"/c/{world.slugs['c1']}/partners/"
    page = web.get(page_url).get_data(as_text=True)
    assert "想合作" in page and world.slugs["m2"] in page
    terms = f"/c/{world.slugs['c1']}/partners/{world.slugs['m2']}/terms"
    bad = web.post_form(terms, {"terms-point_value": "0.123"}, page=page_url)
    assert bad.status_code == 422 and "error-summary" in bad.get_data(as_text=True)
    good = web.post_form(terms, {"terms-point_value": "0.15"}, page=page_url)
    assert good.status_code == 302
    assert "¥0.15" in web.get(page_url).get_data(as_text=True)


def test_a_shop_signs_up_and_a_district_admin_approves_it(web, world, app):
    response = web.post_form("/merchants/join", {
        "name": "王记包子", "slug": "wangji-buns", "category": "餐饮", "address": "幸福路1号",
        "owner_name": "王老板", "owner_login": "wangji", "owner_password": "long-enough-1"})
    assert response.status_code == 302
    assert 'data-test="merchant-pending"' in web.get("/m/wangji-buns/").get_data(as_text=True)
    assert count(app, Merchant, Merchant.slug == "wangji-buns", Merchant.status == MerchantStatus.PENDING) == 1
    web.logout()
    web.login("c1_admin")
    assert web.get("/merchants/review").status_code == 404
    web.logout()
    web.login("d1_admin")
    assert 'data-test="pending-wangji-buns"' in web.get("/merchants/review").get_data(as_text=True)
    assert web.post_form("/merchants/review/wangji-buns/approve", page="/merchants/review").status_code == 302
    assert count(app, Merchant, Merchant.slug == "wangji-buns", Merchant.status == MerchantStatus.ACTIVE) == 1


def test_owner_adds_staff_and_staff_get_the_counter_only(web, world):
    web.login("m2_owner")
    staff = f"/m/{world.slugs['m2']}/staff"
    assert web.post_form(staff, {"name": "小刘", "login": "m2_liu", "password": "long-enough-1"}).status_code == 302
    web.logout()
    web.login("m2_liu", password="long-enough-1")
    assert web.get(f"/m/{world.slugs['m2']}/counter/").status_code == 200
    for path in ("offers/new", "partners", "staff", "profile"):
        assert web.get(f"/m/{world.slugs['m2']}/{path}").status_code == 403, path


def test_cross_tenant_pages_are_404(web, world, app):
    m1 = world.slugs["m1"]
    meal, kit = world.ids["offer:m1_meal"], world.ids["offer:m1_kit"]
    web.login("m2_owner")
    for path in ("", "counter/", "counter/history", "offers/", f"offers/{meal}/edit", "partners", "staff"):
        assert web.get(f"/m/{m1}/{path}").status_code == 404, path
    assert web.get(f"/m/{world.slugs['m2']}/offers/{meal}/edit").status_code == 404
    web.logout()
    web.login("c2_red")
    assert web.get(f"/c/{world.slugs['c2']}/offers/{kit}").status_code == 404
    assert web.get(f"/c/{world.slugs['c1']}/offers/").status_code == 404
    assert web.get(f"/c/{world.slugs['c2']}/offers/{meal}").status_code == 200
    web.logout()
    award(app, world, "c1_red", 100)
    web.login("c1_red")
    url = f"/c/{world.slugs['c1']}/offers/{meal}"
    voucher_path = web.post_form(url + "/claim", page=url).headers["Location"]
    voucher_id = voucher_path.rstrip("/").rsplit("/", 1)[1]
    web.logout()
    web.login("c1_blue")
    assert web.get(voucher_path).status_code == 404
    web.logout()
    web.login("c2_admin")
    assert web.get(f"/c/{world.slugs['c2']}/vouchers/{voucher_id}").status_code == 404
    assert web.get(f"/c/{world.slugs['c2']}/partners/").status_code == 200
    assert world.slugs["m2"] in web.get(f"/c/{world.slugs['c2']}/partners/").get_data(as_text=True)


def test_home_shows_offer_tiles(web, world):
    web.login("c1_red")
    page = web.get(f"/c/{world.slugs['c1']}/").get_data(as_text=True)
    assert f"/c/{world.slugs['c1']}/offers/" in page and f"/c/{world.slugs['c1']}/vouchers/" in page


def png_bytes(colour="red"):
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def test_photos_are_uploaded_reencoded_and_shown_only_where_the_offer_is_open(web, world, app):
    import io

    web.login("m1_owner")
    m1 = world.slugs["m1"]
    kit = world.ids["offer:m1_kit"]  # open to c1 only
    edit = f"/m/{m1}/offers/{kit}/edit"
    page = web.get(edit).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    fields = {k: v for k, v in offer_form(world, communities=[world.slugs["c1"]], title="Medicine kit").items()}
    bad = web.client.post(edit, data={**fields, "csrf_token": token,
                                      "photo": (io.BytesIO(b"not a picture"), "kit.png")},
                          content_type="multipart/form-data")
    assert bad.status_code == 422
    good = web.client.post(edit, data={**fields, "csrf_token": token,
                                       "photo": (io.BytesIO(png_bytes()), "kit.png")},
                           content_type="multipart/form-data")
    assert good.status_code == 302, good.get_data(as_text=True)[:1000]
    own = web.get(f"/m/{m1}/offers/{kit}/photo.jpg")
    assert own.status_code == 200 and own.data[:3] == b"\xff\xd8\xff"  # re-encoded as JPEG
    web.logout()
    web.login("c1_red")
    assert web.get(f"/c/{world.slugs['c1']}/offers/{kit}/photo.jpg").status_code == 200
    web.logout()
    web.login("c2_red")
    assert web.get(f"/c/{world.slugs['c2']}/offers/{kit}/photo.jpg").status_code == 404
    web.logout()
    web.login("m2_owner")
    assert web.get(f"/m/{m1}/offers/{kit}/photo.jpg").status_code == 404
    assert web.get(f"/m/{world.slugs['m2']}/offers/{kit}/photo.jpg").status_code == 404


def test_shop_profile_with_photo(web, world):
    import io

    web.login("m2_owner")
    url = f"/m/{world.slugs['m2']}/profile"
    page = web.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = web.client.post(url, data={
        "csrf_token": token, "name": "茶馆", "category": "餐饮", "address": "春熙路1号",
        "opening_hours": "9:00-22:00", "photo": (io.BytesIO(png_bytes("green")), "shop.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    assert web.get(f"/m/{world.slugs['m2']}/photo.jpg").status_code == 200
    web.logout()
    web.login("c2_red")  # the tea offer has no photo of its own: the shop's is shown
    assert web.get(f"/c/{world.slugs['c2']}/offers/{world.ids['offer:m2_tea']}/photo.jpg").status_code == 200
