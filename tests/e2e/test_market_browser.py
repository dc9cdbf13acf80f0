"""In a phone-sized Chromium, in Chinese: a merchant publishes a meal coupon for its two
partner communities; a resident of each claims one; the counter redeems one, and a second
attempt with the same code says it was already redeemed.
Screenshots: test-artifacts/screenshots/market-*.png."""

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.extensions import db
from core.identity.models import User
from tests.e2e.browser import MOBILE_VIEWPORT, full_page_shot, log_in
from tests.world import PASSWORD

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z]$")


@pytest.fixture(scope="module")
def market(app, world):
    """Two communities in two districts, a restaurant partnering both, a resident with points
    in each, and a counter login: all committed, with unique names."""
    from core.districts.actions import do_create_community
    from core.identity.actions import do_add_member, do_create_user
    from core.identity.models import Role
    from core.ledger import actions as ledger
    from core.tenancy.access import Actor
    from core.tenancy.context import use_community, use_merchant
    from core.tenancy.models import District
    from core.transactions import atomic
    from merchants.partners.access import enter_merchant
    from merchants.partners.actions import do_add_staff, do_create_merchant, do_partner

    tag = uuid.uuid4().hex[:6]
    info = {"tag": tag, "communities": [], "residents": []}
    with app.app_context():
        platform = db.session.get(User, world.ids["user:platform"])
        merchant = do_create_merchant(
            f"noodles-{tag}", "老张面馆", {"login": f"e2e_{tag}_owner", "password": PASSWORD, "name": "张老板"},
            platform, category="餐饮", address="新华路12号", opening_hours="10:00-21:00")
        info["merchant"] = merchant.slug
        for district_key, name, resident in (("d1", "新华社区", "王阿姨"), ("d2", "水井坊社区", "陈大爷")):
            district = db.session.get(District, world.ids[district_key])
            community = do_create_community(
                district, slug=f"e2e-{district_key}-{tag}", name=name, actor=platform,
                admin={"login": f"e2e_{tag}_{district_key}_admin", "password": PASSWORD, "name": "管理员"})
            admin = db.session.scalar(select(User).where(User.login == f"e2e_{tag}_{district_key}_admin"))
            with use_community(community.id):
                do_partner(Actor(admin, community, None, Role.ADMIN), merchant, 10)
                with atomic():
                    user = do_create_user(f"e2e_{tag}_{district_key}_resident", PASSWORD, resident)
                    member = do_add_member(community, user, Role.RESIDENT)
                with atomic():
                    ledger.award(community, member, 250, reason="社区大扫除")
            info["communities"].append((community.slug, name))
            info["residents"].append(user.login)
        owner = db.session.scalar(select(User).where(User.login == f"e2e_{tag}_owner"))
        with use_merchant(merchant.id):
            do_add_staff(enter_merchant(merchant.slug, owner), f"e2e_{tag}_till", PASSWORD, "收银员小刘")
        db.session.remove()
    return info


def shot(page, name):
    full_page_shot(page, f"market-{name}")


def test_publish_claim_in_two_communities_and_redeem_once(live_server, chromium, market):
    base, tag = live_server, market["tag"]

    def person(login_name):
        context = chromium.new_context(viewport=MOBILE_VIEWPORT, locale="zh-CN")
        page = context.new_page()
        log_in(page, base, login_name)
        return page

    # the owner publishes a meal coupon for both partner communities
    owner = person(f"e2e_{tag}_owner")
    expect(owner.locator("html")).to_have_attribute("lang", "zh-Hans")
    owner.goto(f"{base}/m/{market['merchant']}/offers/new")
    owner.fill("input[name=title]", "午餐八折券")
    owner.fill("input[name=points]", "100")
    owner.fill("input[name=quantity]", "50")
    owner.fill("input[name=market_price]", "35")
    owner.fill("input[name=offer_price]", "28")
    owner.fill("textarea[name=terms]", "堂食午餐八折，每桌一张。")
    for slug, _name in market["communities"]:
        expect(owner.locator(f"input[name=communities][value='{slug}']")).to_be_checked()
    shot(owner, "01-offer-form")
    owner.click("[data-test=publish]")
    expect(owner.locator(".card", has_text="午餐八折券")).to_contain_text("0 / 50")
    shot(owner, "02-offers")

    # a resident of each community claims one
    codes = []
    for (slug, community_name), resident in zip(market["communities"], market["residents"], strict=True):
        page = person(resident)
        page.goto(f"{base}/c/{slug}/")
        page.click(f"a[href='/c/{slug}/offers/']")
        card = page.locator("[data-test=offer-card]", has_text="午餐八折券")
        expect(card).to_contain_text("老张面馆")
        shot(page, f"03-offers-{len(codes) + 1}")
        card.locator("a").first.click()
        expect(page.locator("h1")).to_have_text("午餐八折券")
        shot(page, f"03-offer-detail-{len(codes) + 1}")
        page.click("[data-test=claim]")
        expect(page.locator("[data-test=voucher-code]")).to_be_visible()
        # the code is shown as groups (one <span> each, spaced by CSS): read the groups
        code = "-".join(page.locator("[data-test=voucher-code] span").all_inner_texts())
        assert CODE.match(code), code
        expect(page.locator("svg.qr")).to_be_visible()
        expect(page.locator(".brand")).to_contain_text(community_name)
        shot(page, f"04-voucher-{len(codes) + 1}")
        page.click("text=← ")
        expect(page.locator(".card", has_text="午餐八折券")).to_be_visible()
        shot(page, f"04-my-vouchers-{len(codes) + 1}")
        codes.append(code)
    assert codes[0] != codes[1]

    # the counter: typed without dashes, grouped as typed; check, confirm, redeemed
    till = person(f"e2e_{tag}_till")
    expect(till.locator("h1")).to_have_text("老张面馆")  # staff land on their shop
    shot(till, "05-merchant-home")
    counter = f"{base}/m/{market['merchant']}/counter/"
    till.goto(counter)
    box = till.locator("input[name=code]")
    box.press_sequentially(codes[0].replace("-", "").lower())
    expect(box).to_have_value(codes[0])
    shot(till, "05-counter")
    till.click("[data-test=counter-check]")
    expect(till.locator("[data-test=verdict-confirm]")).to_contain_text("王*姨")
    expect(till.locator("[data-test=verdict-confirm]")).to_contain_text("新华社区")
    shot(till, "06-confirm")
    till.click("[data-test=counter-confirm]")
    expect(till.locator("[data-test=verdict-ok]")).to_be_visible()
    shot(till, "07-redeemed")

    # the same code again: a red answer saying it was already redeemed
    till.locator("input[name=code]").fill(codes[0])
    till.click("[data-test=counter-check]")
    verdict = till.locator("[data-test=verdict-error]")
    expect(verdict).to_have_attribute("data-code", "already_redeemed")
    expect(verdict).to_contain_text("收银员小刘")
    shot(till, "08-already-redeemed")

    # a code nobody issued: the same red screen as another shop's code
    till.locator("input[name=code]").fill("0000-0000-0000-0000-0")
    till.click("[data-test=counter-check]")
    expect(till.locator("[data-test=verdict-error]")).to_have_attribute("data-code", "unknown_code")
    shot(till, "09-unknown")

    # the community admin sees the partnership and its terms
    admin = person(f"e2e_{tag}_d1_admin")
    admin.goto(f"{base}/c/{market['communities'][0][0]}/partners/")
    expect(admin.locator(f"[data-test=partner-{market['merchant']}]")).to_contain_text("¥0.10")
    shot(admin, "10-community-partners")
