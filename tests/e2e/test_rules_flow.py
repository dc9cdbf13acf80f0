"""In a real browser at phone size, in both languages: a grid worker awards points, the
resident sees them on the record card, files a claim with a photo, a grid worker approves it.
Screenshots go to test-artifacts/screenshots/rules-<lang>-*.png."""

import io
import re
import uuid

import pytest
from PIL import Image

from tests.e2e.browser import MOBILE_VIEWPORT, full_page_shot, log_in
from tests.world import PASSWORD

LANGUAGES = {"zh": "zh-CN", "en": "en-GB"}


def new_resident(app, world, lang):
    from core.identity.actions import do_add_member, do_create_user
    from core.identity.models import AccountKind, Role
    from core.tenancy.context import use_community
    from core.transactions import atomic

    login = f"e2e-{lang}-{uuid.uuid4().hex[:8]}"
    name = "周阿姨" + login[-4:] if lang == "zh" else "Mrs Zhou " + login[-4:]
    with app.app_context(), use_community(world.ids["c1"]):
        with atomic():
            user = do_create_user(login, PASSWORD, name)
            do_add_member(world.community("c1"), user, Role.RESIDENT, account_kind=AccountKind.GREEN)
    return login, name


def sign_in(browser, base, login, locale):
    context = browser.new_context(viewport=MOBILE_VIEWPORT, locale=locale)
    page = context.new_page()
    log_in(page, base, login)
    return page


def shot(page, lang, step):
    full_page_shot(page, f"rules-{lang}-{step}")


def photo_file(tmp_path):
    path = tmp_path / "fire.png"
    image = Image.new("RGB", (640, 480), (220, 90, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_award_card_claim_and_approval(app, world, live_server, chromium, tmp_path, lang):
    locale = LANGUAGES[lang]
    slug = world.slugs["c1"]
    base = live_server
    login, name = new_resident(app, world, lang)

    # a grid worker awards two hours of volunteer service
    grid = sign_in(chromium, base, "c1_grid", locale)
    assert grid.locator("html").get_attribute("lang") == ("zh-Hans" if lang == "zh" else "en")
    shot(grid, lang, "01-staff-home")
    grid.goto(f"{base}/c/{slug}/awards/new?q={login[-4:]}")
    grid.select_option("select[name=rule]", "service_hour")
    grid.fill("input[name=quantity]", "2")
    grid.fill("textarea[name=note]", "社区运动会志愿者" if lang == "zh" else "Sports day steward")
    grid.check("input[name=members] >> nth=0")
    shot(grid, lang, "02-award-form")
    grid.click("[data-test=award-submit]")
    grid.wait_for_load_state()
    assert grid.locator(".notice--success").count() == 1
    assert "20" in grid.locator(".notice--success").inner_text()
    shot(grid, lang, "03-awarded")

    # the resident sees them at home and on the record card
    resident = sign_in(chromium, base, login, locale)
    assert resident.locator("[data-test=balance]").inner_text().strip() == "20"
    shot(resident, lang, "04-resident-home")
    resident.goto(f"{base}/c/{slug}/card")
    assert resident.locator("[data-test=card-balance]").inner_text().strip() == "20"
    assert "志愿服务 ×2" in resident.locator("[data-test=history]").inner_text()
    shot(resident, lang, "05-record-card")

    # the resident claims points for a deed, with a photo
    resident.goto(f"{base}/c/{slug}/claims/new")
    resident.select_option("select[name=rule]", "fire")
    resident.fill("textarea[name=note]", "5号楼楼道电动车冒烟，已扑灭并报告物业。")
    resident.set_input_files("input[name=photo]", str(photo_file(tmp_path)))
    shot(resident, lang, "06-claim-form")
    resident.click("[data-test=claim-submit]")
    resident.wait_for_load_state()
    assert resident.locator("[data-test=my-claims] .badge--pending").count() == 1
    shot(resident, lang, "07-my-claims")
    claim_href = resident.locator("[data-test=my-claims] a").first.get_attribute("href")
    claim_id = re.search(r"/claims/([0-9a-f-]+)", claim_href).group(1)

    # a grid worker checks the queue and approves it
    grid.goto(f"{base}/c/{slug}/claims/queue")
    shot(grid, lang, "08-queue")
    grid.goto(f"{base}/c/{slug}/claims/{claim_id}")
    assert grid.locator("img.claim-photo").evaluate("img => img.naturalWidth") == 640
    shot(grid, lang, "09-claim-detail")
    grid.click("[data-test=approve]")
    grid.wait_for_load_state()
    assert grid.locator(".notice--success").count() == 1

    # the resident's card now shows both
    resident.goto(f"{base}/c/{slug}/card")
    assert resident.locator("[data-test=card-balance]").inner_text().strip() == "30"
    assert "发现初期火情" in resident.locator("[data-test=history]").inner_text()
    shot(resident, lang, "10-record-card-after")
    resident.goto(f"{base}/c/{slug}/claims/")
    assert resident.locator("[data-test=my-claims] .badge--approved").count() == 1
    shot(resident, lang, "11-my-claims-after")
    resident.goto(f"{base}/c/{slug}/card")
    resident.click("[data-test=print-link]")
    resident.wait_for_load_state()
    assert resident.locator("[data-test=print-history] tbody tr").count() == 2
    shot(resident, lang, "12-print")
    # on paper: A4, one page for a short history, without the site's header and buttons
    resident.emulate_media(media="print")
    resident.set_viewport_size({"width": 794, "height": 1123})
    assert not resident.locator(".site-header").is_visible()
    shot(resident, lang, "13-print-a4")
    pdf = resident.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    for page in (grid, resident):
        page.context.close()
