"""Settlement as the people involved do it, in Chinese: a merchant (phone) sees last month's
statement and questions a line; the community admin (desktop) corrects it with a credit note;
the merchant confirms the corrected statement; the admin approves it and records the bank
transfer; the merchant sees it paid. Screenshots: test-artifacts/screenshots/settlement-*.png."""

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from core.extensions import db
from tests.e2e.browser import MOBILE_VIEWPORT, full_page_shot, log_in
from tests.world import PASSWORD

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def settled(app, world):
    """A restaurant, a community of its own with a resident, two vouchers redeemed last month
    (community time), and last month closed there: all committed, with unique names."""
    from sqlalchemy import select

    from core.identity.models import User
    from core.tenancy.models import Community
    from core.types import utcnow
    from merchants.partners.actions import do_create_merchant
    from merchants.settlement.closing import do_close_community_month
    from merchants.settlement.periods import month_of, month_start, previous_month
    from tests.merchants.settlement.helpers import make_offer, new_community, redeem_at

    tag = uuid.uuid4().hex[:6]
    last_month = previous_month(month_of(utcnow(), "Asia/Shanghai"))
    with app.app_context():
        platform = db.session.get(User, world.ids["user:platform"])
        merchant = do_create_merchant(
            f"settle-noodles-{tag}", "老张面馆", {"login": f"e2e_{tag}_boss", "password": PASSWORD, "name": "张老板"},
            platform, category="餐饮")
        world_ids = {**world.ids, f"m-{tag}": merchant.id}

        class W:  # new_community reads ids from a world-like object
            ids = world_ids

        cid, resident = new_community(W, f"settle-{tag}", partners=[(f"m-{tag}", 10)])
        community = db.session.get(Community, cid)
        community.name = "新华社区"
        db.session.commit()
        offer = make_offer(merchant.id, [cid], points=100, title="午餐八折券")
        start = month_start(last_month, "Asia/Shanghai")
        redeem_at(cid, resident, offer, start + timedelta(days=9, hours=12))
        redeem_at(cid, resident, offer, start + timedelta(days=19, hours=12))
        do_close_community_month(cid, last_month)
        admin = db.session.scalar(select(User.login).where(User.login == f"settle-{tag}_admin"))
        db.session.remove()
    return {"merchant": f"settle-noodles-{tag}", "owner": f"e2e_{tag}_boss", "community": f"settle-{tag}",
            "admin": admin, "month": last_month}


def shot(page, name):
    full_page_shot(page, f"settlement-{name}")


def test_dispute_correct_confirm_approve_and_pay(live_server, chromium, settled):
    base = live_server

    def person(login_name, viewport):
        context = chromium.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        log_in(page, base, login_name)
        return page

    # the merchant finds last month's statement from its home
    boss = person(settled["owner"], MOBILE_VIEWPORT)
    boss.goto(f"{base}/m/{settled['merchant']}/")
    expect(boss.locator("html")).to_have_attribute("lang", "zh-Hans")
    boss.click("[data-test=statements-tile]")
    row = boss.locator("[data-test=statement-row]", has_text=settled["month"])
    expect(row).to_contain_text("新华社区")
    expect(row).to_contain_text("¥20.00")
    shot(boss, "01-merchant-list")
    row.locator("a").click()
    expect(boss.locator("[data-test=statement-line]")).to_have_count(2)
    expect(boss.locator("[data-test=statement-amount]")).to_have_text("¥20.00")
    shot(boss, "02-merchant-statement")

    # questions the first line
    boss.locator("[data-test=dispute-line]").first.check()
    boss.fill("[data-test=dispute-reason-input]", "这张券当天并未到店使用")
    boss.click("[data-test=dispute-statement]")
    expect(boss.locator("[data-test=statement-status]")).to_have_attribute("data-status", "disputed")
    expect(boss.locator("[data-test=line-dispute]")).to_have_count(1)
    shot(boss, "03-merchant-disputed")

    # the community admin sees the question and takes the line off with a credit note
    admin = person(settled["admin"], DESKTOP)
    admin.goto(f"{base}/c/{settled['community']}/")
    admin.click(f"a[href='/c/{settled['community']}/statements/']")
    admin.locator("[data-test=statement-row]", has_text=settled["month"]).locator("a").click()
    expect(admin.locator("[data-test=dispute-reason]")).to_contain_text("这张券当天并未到店使用")
    shot(admin, "04-community-disputed")
    admin.click("[data-test=credit-note-details] summary")
    admin.fill("[data-test=credit-amount]", "10.00")
    admin.locator("[data-test=credit-line]").select_option(index=1)
    admin.fill("[data-test=credit-reason]", "核实后扣除未使用的券")
    admin.click("[data-test=add-credit-note]")
    expect(admin.locator("[data-test=statement-status]")).to_have_attribute("data-status", "adjusted")
    expect(admin.locator("[data-test=statement-due]")).to_have_text("¥10.00")
    shot(admin, "05-community-credit-note")

    # the merchant confirms the corrected statement
    boss.reload()
    expect(boss.locator("[data-test=statement-due]")).to_have_text("¥10.00")
    boss.click("[data-test=confirm-statement]")
    expect(boss.locator("[data-test=statement-status]")).to_have_attribute("data-status", "confirmed")
    shot(boss, "06-merchant-confirmed")

    # the admin approves it and records the bank transfer
    admin.reload()
    admin.click("[data-test=approve-statement]")
    expect(admin.locator("[data-test=statement-status]")).to_have_attribute("data-status", "approved")
    admin.fill("[data-test=payment-reference]", "工行转账 0205-88")
    shot(admin, "07-community-approved")
    admin.click("[data-test=record-payment]")
    expect(admin.locator("[data-test=statement-status]")).to_have_attribute("data-status", "paid")
    expect(admin.locator("[data-test=payment]")).to_contain_text("工行转账 0205-88")
    shot(admin, "08-community-paid")

    # the merchant sees it paid, and can print it
    boss.reload()
    expect(boss.locator("[data-test=statement-status]")).to_have_attribute("data-status", "paid")
    expect(boss.locator("[data-test=payment]")).to_contain_text("¥10.00")
    shot(boss, "09-merchant-paid")
    boss.click("[data-test=print-link]")
    expect(boss.locator("[data-test=print-lines] tbody tr")).to_have_count(2)
    shot(boss, "10-print")
