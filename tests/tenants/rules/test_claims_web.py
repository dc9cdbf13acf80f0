"""Claims on the pages: a resident files one (with a photo), staff approve or reject it."""

import io
import re

import pytest
from PIL import Image

from tests.helpers import csrf_token
from tests.tenants.rules import photo_samples
from tests.tenants.rules.conftest import balance_of


def submit(web, urls, rule="fire", note="楼道里发现冒烟，已处理", quantity="1", photo=None,
           filename="photo.jpg", community="c1"):
    html = web.get(urls(community, "/claims/new")).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "rule": rule, "quantity": quantity, "note": note}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), filename)
    return web.client.post(urls(community, "/claims/new"), data=data,
                           content_type="multipart/form-data")


def decide(web, urls, claim_ids, decision, reason="", back=None):
    page = web.get(urls("c1", "/claims/queue")).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "claims": [str(c) for c in claim_ids],
            "decision": decision, "reason": reason}
    if back:
        data["back"] = back
    return web.client.post(urls("c1", "/claims/decide"), data=data)


def newest_claim(app, world, name):
    from sqlalchemy import select

    from core.extensions import db
    from core.tenancy.context import use_community
    from tenants.rules.models import Claim

    with app.app_context(), use_community(world.ids["c1"]):
        claim = db.session.scalar(select(Claim).where(Claim.member_id == world.member_id(name))
                                  .order_by(Claim.id.desc()))
        db.session.expunge(claim)
        return claim


def test_claim_without_approval_is_awarded_at_once(web, world, urls, app):
    web.login("c1_red")
    response = submit(web, urls, rule="cleanup", note="参加了小区大扫除")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert balance_of(app, world, "c1_red") == 2
    page = web.get(urls("c1", "/claims/")).get_data(as_text=True)
    assert "环境卫生大扫除" in page and "2" in page


def test_claim_with_photo_waits_then_approval_awards_once(web, world, urls, app):
    web.login("c1_red")
    assert submit(web, urls, photo=photo_samples.jpeg_with_exif()).status_code == 302
    claim = newest_claim(app, world, "c1_red")
    assert claim.status.value == "pending" and claim.photo
    assert balance_of(app, world, "c1_red") == 0
    web.logout()
    web.login("c1_grid")
    assert "c1 red person" in web.get(urls("c1", "/claims/queue")).get_data(as_text=True)
    for _ in range(2):  # approving twice awards once
        response = decide(web, urls, [claim.id], "approve", back="detail")
        assert response.status_code == 302
    assert balance_of(app, world, "c1_red") == 10
    assert newest_claim(app, world, "c1_red").status.value == "approved"
    # a rejection after approval is refused
    assert decide(web, urls, [claim.id], "reject", reason="不对").status_code == 409
    assert balance_of(app, world, "c1_red") == 10


def test_rejection_reason_is_shown_to_the_resident(web, world, urls, app):
    claim_id = world.ids["claim:c1"]
    web.login("c1_grid")
    refused = decide(web, urls, [claim_id], "reject", reason="")
    assert refused.status_code == 422
    assert decide(web, urls, [claim_id], "reject", reason="照片看不清，请重新拍摄").status_code == 302
    web.logout()
    web.login("c1_blue")
    mine = web.get(urls("c1", "/claims/")).get_data(as_text=True)
    assert "照片看不清，请重新拍摄" in mine
    detail = web.get(urls("c1", f"/claims/{claim_id}")).get_data(as_text=True)
    assert "照片看不清，请重新拍摄" in detail
    assert balance_of(app, world, "c1_blue") == 0
    # and it cannot be approved afterwards
    web.logout()
    web.login("c1_grid")
    assert decide(web, urls, [claim_id], "approve").status_code == 409
    assert balance_of(app, world, "c1_blue") == 0


def test_bulk_approval_from_the_queue(web, world, urls, app):
    web.login("c1_red")
    assert submit(web, urls, photo=photo_samples.png_with_alpha(), filename="a.png").status_code == 302
    red_claim = newest_claim(app, world, "c1_red")
    web.logout()
    web.login("c1_grid")
    response = decide(web, urls, [red_claim.id, world.ids["claim:c1"]], "approve")
    assert response.status_code == 302
    assert balance_of(app, world, "c1_red") == 10
    assert balance_of(app, world, "c1_blue") == 10
    assert "data-test=\"queue-empty\"" in web.get(urls("c1", "/claims/queue")).get_data(as_text=True)


def test_bulk_approval_over_a_cap_approves_nothing_and_says_who(web, world, urls, app, counts):
    from core.tenancy.context import use_community
    from tenants.rules.actions import do_update_rule
    from tenants.rules.queries import rule_by_code
    from tests.tenants.rules.world import actor_for

    with app.app_context(), use_community(world.ids["c1"]):
        do_update_rule(actor_for(world, "c1_admin"), rule_by_code(world.ids["c1"], "fire"), cap_day=1)
    web.login("c1_red")
    for _ in range(2):
        assert submit(web, urls, photo=photo_samples.webp(), filename="x.webp").status_code == 302
    web.logout()
    web.login("c1_grid")
    page = web.get(urls("c1", "/claims/queue")).get_data(as_text=True)
    ids = re.findall(r'name="claims" value="([0-9a-f-]+)"', page)
    assert len(ids) == 3  # the world's claim by c1_blue and the two new ones
    before = counts()
    response = decide(web, urls, ids, "approve")
    assert response.status_code == 409
    hits = re.search(r'data-test="cap-hits">(.*?)</ul>', response.get_data(as_text=True), re.S).group(1)
    assert "c1 red person" in hits and "c1 blue person" not in hits
    assert counts() == before
    assert balance_of(app, world, "c1_blue") == 0


def test_staff_cannot_decide_their_own_claim(web, world, urls, app):
    web.login("c1_grid")
    assert submit(web, urls, photo=photo_samples.webp(), filename="x.webp").status_code == 302
    claim = newest_claim(app, world, "c1_grid")
    assert decide(web, urls, [claim.id], "approve").status_code == 403
    assert balance_of(app, world, "c1_grid") == 0
    web.logout()
    web.login("c1_admin")
    assert decide(web, urls, [claim.id], "approve").status_code == 302
    assert balance_of(app, world, "c1_grid") == 10


def test_residents_cannot_decide(web, world, urls):
    web.login("c1_red")
    page = web.get(urls("c1", "/claims/new")).get_data(as_text=True)
    response = web.client.post(urls("c1", "/claims/decide"), data={
        "csrf_token": csrf_token(page), "claims": [str(world.ids["claim:c1"])], "decision": "approve"})
    assert response.status_code == 403
    assert web.get(urls("c1", "/claims/queue")).status_code == 403


def test_the_stored_photo_is_a_clean_jpeg(web, world, urls, app):
    web.login("c1_red")
    assert submit(web, urls, photo=photo_samples.jpeg_with_exif()).status_code == 302
    claim = newest_claim(app, world, "c1_red")
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", claim.photo)
    served = web.get(urls("c1", f"/claims/{claim.id}/photo"))
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert "no-store" in served.headers["Cache-Control"]
    data = served.get_data()
    assert b"SecretCam" not in data and b"TellTale" not in data and b"hidden comment" not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert image.size == (64, 48)


@pytest.mark.parametrize("photo, filename", [
    (b"this is not an image at all", "notes.jpg"),
    (photo_samples.SVG, "x.svg"),
    (photo_samples.gif(), "x.gif"),
    (photo_samples.jpeg_with_exif()[:200], "cut.jpg"),
    (b"", "empty.jpg"),
])
def test_files_that_are_not_allowed_photos_are_refused(web, world, urls, counts, photo, filename):
    web.login("c1_red")
    before = counts()
    response = submit(web, urls, photo=photo, filename=filename)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "JPEG, PNG or WebP" in page or "empty" in page
    assert counts() == before


def test_too_many_pixels_is_refused(web, world, urls, counts):
    web.login("c1_red")
    before = counts()
    response = submit(web, urls, photo=photo_samples.huge_png(), filename="big.png")
    assert response.status_code == 422
    assert "too many pixels" in response.get_data(as_text=True)
    assert counts() == before


def test_oversized_uploads_are_refused_with_words(web, world, urls, counts, app):
    web.login("c1_red")
    before = counts()
    over_five = b"\xff\xd8" + b"0" * (5 * 1024 * 1024)
    response = submit(web, urls, photo=over_five)
    assert response.status_code == 422
    assert "at most 5 MB" in response.get_data(as_text=True)
    over_limit = b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = submit(web, urls, photo=over_limit)
    assert response.status_code == 413
    assert "at most 5 MB" in response.get_data(as_text=True)
    assert counts() == before


def test_a_rule_that_needs_evidence_needs_a_photo(web, world, urls, counts):
    web.login("c1_red")
    before = counts()
    response = submit(web, urls)
    assert response.status_code == 422
    assert "needs a photo" in response.get_data(as_text=True)
    assert counts() == before


def test_bad_claim_input_is_refused(web, world, urls, counts):
    web.login("c1_red")
    before = counts()
    for overrides in ({"rule": "service_hour"}, {"rule": "nope"}, {"note": ""}, {"note": "x" * 501},
                      {"quantity": "0"}, {"quantity": "1000"}, {"quantity": "two"}):
        args = {"rule": "cleanup", "note": "做了好事", **overrides}
        response = submit(web, urls, **args)
        assert response.status_code == 422, overrides
        assert 'class="error-summary"' in response.get_data(as_text=True)
    assert counts() == before


def test_claim_form_needs_csrf(web, world, urls, counts):
    web.login("c1_red")
    before = counts()
    response = web.client.post(urls("c1", "/claims/new"), data={"rule": "cleanup", "note": "x"})
    assert response.status_code == 400
    assert counts() == before


def test_photo_is_only_for_the_claimant_and_staff(web, world, urls):
    url = urls("c1", f"/claims/{world.ids['claim:c1']}/photo")
    web.login("c1_blue")
    assert web.get(url).status_code == 200
    web.logout()
    web.login("c1_red")
    assert web.get(url).status_code == 404
    assert web.get(urls("c1", f"/claims/{world.ids['claim:c1']}")).status_code == 404
    web.logout()
    web.login("c1_grid")
    assert web.get(url).status_code == 200


def test_cap_is_checked_when_claiming(web, world, urls, app):
    from core.tenancy.context import use_community
    from tenants.rules.actions import do_update_rule
    from tenants.rules.queries import rule_by_code
    from tests.tenants.rules.world import actor_for

    with app.app_context(), use_community(world.ids["c1"]):
        do_update_rule(actor_for(world, "c1_admin"), rule_by_code(world.ids["c1"], "cleanup"), cap_day=1)
    web.login("c1_red")
    assert submit(web, urls, rule="cleanup", note="第一次").status_code == 302
    response = submit(web, urls, rule="cleanup", note="第二次")
    assert response.status_code == 409
    assert "limit of 1 a day" in response.get_data(as_text=True)
    assert balance_of(app, world, "c1_red") == 2
