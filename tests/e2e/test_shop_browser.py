"""In a phone-sized Chromium, in Chinese: a resident reserves rice and staff hand it over;
staff sell cooking oil at the counter to a resident found by the card code; both show on
the resident's points history. Screenshots: test-artifacts/screenshots/shop-*.png."""

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.extensions import db
from core.identity.actions import do_add_member, do_create_user, do_issue_token
from core.identity.models import Role
from core.ledger import actions as ledger
from core.ledger.assisted import assisted_by
from core.ledger.models import LedgerTransaction
from core.tenancy.context import use_community
from core.transactions import atomic
from tenants.cards.codes import display_code
from tenants.cards.queries import current_code
from tests.e2e.browser import MOBILE_VIEWPORT, log_in, screenshot_path
from tests.world import PASSWORD


@pytest.fixture(scope="module")
def grandma(app, world):
    """A resident of c3 with 100 points, committed (browser tests see only committed rows)."""
    tag = uuid.uuid4().hex[:6]
    with app.app_context(), use_community(world.ids["c3"]):
        c3 = world.community("c3")
        with atomic():
            user = do_create_user(f"e2e_{tag}", PASSWORD, "李奶奶")
            resident = do_add_member(c3, user, Role.RESIDENT)
        with atomic():
            ledger.award(c3, resident, 100, reason="社区大扫除")
        token, _row = do_issue_token(user)
        info = {"login": user.login, "member_id": resident.id, "user_id": user.id, "token": token,
                "card": display_code(current_code(resident))}
        db.session.remove()
    return info


def test_reserve_hand_over_and_sell_at_the_counter(live_server, chromium, world, grandma, app):
    shop = f"{live_server}/c/{world.slugs['c3']}/shop"
    resident = chromium.new_context(viewport=MOBILE_VIEWPORT, locale="zh-CN")
    staff = chromium.new_context(viewport=MOBILE_VIEWPORT, locale="zh-CN")
    try:
        # the resident reserves rice on her phone
        page = resident.new_page()
        log_in(page, live_server, grandma["login"])
        page.goto(f"{shop}/")
        assert page.get_attribute("html", "lang") == "zh-Hans"
        expect(page.locator("[data-test=balance]")).to_have_text("100")
        page.screenshot(path=screenshot_path("shop-1-resident-shop-zh-mobile"), full_page=True)
        page.locator("[data-test=item]", has_text="大米").click()
        page.screenshot(path=screenshot_path("shop-2-resident-item-zh-mobile"), full_page=True)
        page.click("[data-test=reserve]")
        code_box = page.locator("[data-test=pickup-code]")
        expect(code_box).to_be_visible()
        code = code_box.inner_text().replace(" ", "")
        assert re.fullmatch(r"[A-Z0-9]{8}", code)
        # the QR image loads after the page: wait until it has decoded (under load, slowly)
        page.wait_for_function(
            "() => { const img = document.querySelector('img.pickup__qr');"
            " return img && img.complete && img.naturalWidth > 0 }",
            timeout=15000,
        )
        page.screenshot(path=screenshot_path("shop-3-resident-pickup-code-zh-mobile"), full_page=True)

        # staff type the pickup code at the counter and hand the rice over
        desk = staff.new_page()
        log_in(desk, live_server, "c3_grid")
        desk.goto(f"{shop}/counter")
        desk.fill("input[name=code]", f"{code[:4].lower()} {code[4:]}")
        desk.click("[data-test=find-order]")
        expect(desk.locator("[data-test=hand-over]")).to_be_visible()
        desk.screenshot(path=screenshot_path("shop-4-staff-order-zh-mobile"), full_page=True)
        desk.click("[data-test=hand-over]")
        expect(desk.locator("[data-test=hand-over]")).to_have_count(0)
        expect(desk.locator(".order-status--collected")).to_be_visible()

        # staff scan (type) her card at the counter and sell cooking oil on the spot
        desk.goto(f"{live_server}/c/{world.slugs['c3']}/assist/")
        desk.fill("input[name=code]", grandma["card"])
        desk.screenshot(path=screenshot_path("shop-5-staff-scan-card-zh-mobile"), full_page=True)
        desk.click("[data-test=card-submit]")
        expect(desk.locator("[data-test=resident-name]")).to_have_text("李奶奶")
        desk.click(f"a[href$='/shop/for/{grandma['member_id']}']")
        expect(desk.locator("[data-test=member-balance]")).to_have_text("85")
        desk.screenshot(path=screenshot_path("shop-6-staff-order-for-resident-zh-mobile"), full_page=True)
        desk.locator("[data-test=staff-item]", has_text="食用油").locator("[data-test=hand-over-now]").click()
        expect(desk.locator(".order-status--collected")).to_be_visible()
        desk.screenshot(path=screenshot_path("shop-7-staff-sold-zh-mobile"), full_page=True)

        # the printable A4 sheet of cards (its PDF is kept with the screenshots)
        desk.goto(f"{live_server}/c/{world.slugs['c3']}/cards/print")
        expect(desk.locator("[data-test=resident-card]").first).to_be_visible()
        assert grandma["card"] in desk.content()
        desk.pdf(path=str(screenshot_path("shop-9-resident-cards-a4").with_suffix(".pdf")), format="A4")
        desk.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        desk.emulate_media(media="print")
        desk.screenshot(path=screenshot_path("shop-9-resident-cards-a4-print"), full_page=False)
        desk.emulate_media(media="screen")
        desk.set_viewport_size(MOBILE_VIEWPORT)

        # both show on her orders and her points history
        page.goto(f"{shop}/orders")
        orders = page.locator("[data-test=order]")
        expect(orders).to_have_count(2)
        expect(orders.first).to_contain_text("食用油")
        page.screenshot(path=screenshot_path("shop-8-resident-orders-zh-mobile"), full_page=True)
        ledger_url = (f"{live_server}/api/v1/c/{world.slugs['c3']}/members/"
                      f"{grandma['member_id']}/ledger")
        history = page.request.get(ledger_url, headers={"Authorization": f"Bearer {grandma['token']}"}).json()
    finally:
        resident.close()
        staff.close()

    assert history["balance"] == 45
    spends = [e for e in history["entries"] if e["kind"] == "shop"]
    assert [e["points"] for e in spends] == [-40, -15]
    assert "食用油" in spends[0]["reason"] and "大米" in spends[1]["reason"]
    with app.app_context(), use_community(world.ids["c3"]):
        rows = db.session.scalars(select(LedgerTransaction).where(
            LedgerTransaction.member_id == grandma["member_id"], LedgerTransaction.kind == "shop",
        ).order_by(LedgerTransaction.created_at)).all()
        assert [assisted_by(t) and assisted_by(t).login for t in rows] == [None, "c3_grid"]
        db.session.remove()
