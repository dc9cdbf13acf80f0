"""A district admin, on a desktop, in both languages: sets up the district's templates,
onboards a new community (its shelf, rules, a grid worker's link that the grid worker opens
and uses), imports residents from a spreadsheet with a few bad rows, fixes them, imports, and
finds the new community on the district dashboard with its people counted; then the figures
API says the same. Screenshots: test-artifacts/screenshots/district-<lang>-*.png.

Each run makes its own district (committed, unique names): the world's districts stay as the
other suites expect them."""

import io
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import full_page_shot, log_in
from tests.world import PASSWORD

DESKTOP = {"width": 1366, "height": 900}
LANGUAGES = {"zh": "zh-CN", "en": "en-GB"}


@pytest.fixture
def district(app):
    """A district of its own with its admin (committed)."""
    from core.districts.actions import do_create_district, do_create_district_admin
    from core.extensions import db
    from core.identity.actions import find_user_by_login

    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        platform = find_user_by_login("platform")
        district = do_create_district(f"e2e-{tag}", f"E2E 街道 {tag}", platform)
        do_create_district_admin(district, f"e2e-dadmin-{tag}", PASSWORD, f"街道管理员 {tag}", platform)
        info = {"slug": district.slug, "admin": f"e2e-dadmin-{tag}", "tag": tag}
        db.session.remove()
    return info


def phone(tag, n) -> str:
    """A mobile number unique to this run (runs share the database, phones are unique)."""
    return f"139{(int(tag, 16) % 10_000_000 * 10 + n) % 100_000_000:08d}"


def spreadsheet(tag) -> bytes:
    """Five residents, three rows wrong: a bad phone, an unknown account kind, the same phone
    twice."""
    from openpyxl import Workbook

    phone_ = lambda n: phone(tag, n)  # noqa: E731
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名 Name", "手机号 Phone", "账户类型 Account kind (红/蓝/绿)", "楼栋 Building"])
    sheet.append(["王秀英", phone_(1), "红", "1栋"])
    sheet.append(["李建国", "1381234", "蓝", "2栋"])          # 3: bad phone
    sheet.append(["赵桂兰", "", "紫色", ""])                  # 4: unknown kind
    sheet.append(["钱多多", phone_(2), "绿", ""])               # 5: same phone as row 6
    sheet.append(["孙小美", phone_(2), "群众", ""])             # 6
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def shot(page, lang, step):
    full_page_shot(page, f"district-{lang}-{step}")


def sign_in(context, base, login, password=PASSWORD):
    page = context.new_page()
    log_in(page, base, login, password)
    return page


def counts(page):
    return {key: int(page.locator(f"[data-test=count-{key}]").inner_text())
            for key in ("total", "clean", "problems", "skipped", "imported")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_onboard_a_community_and_see_it_on_the_dashboard(app, world, live_server, chromium, district,
                                                          tmp_path, lang):
    locale, tag = LANGUAGES[lang], district["tag"]
    slug = f"new-{tag}"
    d = district["slug"]
    admin = chromium.new_context(viewport=DESKTOP, locale=locale)
    try:
        page = sign_in(admin, live_server, district["admin"])
        page.goto(f"{live_server}/d/{d}/")
        assert page.get_attribute("html", "lang") == ("zh-Hans" if lang == "zh" else "en")
        expect(page.locator("[data-test=district-links]")).to_be_visible()

        # the district's templates: one shop item, one rule
        page.goto(f"{live_server}/d/{d}/templates/shop")
        page.fill("#new-name", "大米 5斤")
        page.fill("#new-category", "粮油")
        page.fill("#new-points", "15")
        page.fill("#new-stock", "20")
        page.click("[data-test=add-template]")
        expect(page.locator("[data-test='template-大米 5斤']")).to_be_visible()
        shot(page, lang, "1-shop-templates")
        page.goto(f"{live_server}/d/{d}/templates/rules")
        page.fill("#name", "环境卫生大扫除")
        page.fill("#code", "cleanup")
        page.fill("#points", "2")
        page.click("[data-test=add-rule-template]")
        expect(page.locator("[data-test=rule-templates]")).to_contain_text("cleanup")

        # step 1: the community and its first admin
        page.goto(f"{live_server}/d/{d}/onboard/")
        page.click("[data-test=onboard-new]")
        page.fill("#name", f"新村社区 {tag}")
        page.fill("#slug", slug)
        page.fill("#admin_name", "王书记")
        page.fill("#admin_login", f"new-admin-{tag}")
        page.fill("#admin_password", "password-123")
        shot(page, lang, "2-new-community")
        page.click("[data-test=create]")
        expect(page.locator("[data-test=check-shop]")).to_be_visible()
        shot(page, lang, "3-checklist")

        # the shelf, copied from the template: change the price, then say it is ready
        page.click(".steps a >> nth=2")
        row = page.locator("[data-test='shelf-大米 5斤']")
        row.locator("input[name$=points]").fill("12")
        row.locator("button").click()
        expect(page.locator("[data-test='shelf-大米 5斤'] input[name$=points]")).to_have_value("12")
        shot(page, lang, "4-shelf")
        page.click("[data-test=shop-reviewed]")
        page.click(".steps a >> nth=1")
        expect(page.locator("[data-test=rule-cleanup]")).to_be_visible()
        page.click("[data-test=rules-reviewed]")

        # a grid worker's link
        page.click(".steps a >> nth=3")
        page.fill("#labels", "小李")
        page.click("[data-test=create-links]")
        link = page.locator("[data-test=invite-link]").inner_text().strip()
        shot(page, lang, "5-invitation")
        worker = chromium.new_context(viewport=DESKTOP, locale=locale)
        try:
            joining = worker.new_page()
            joining.goto(link.replace("http://localhost", live_server))
            joining.fill("#login", f"xiaoli-{tag}")
            joining.fill("#password", "password-123")
            joining.fill("#confirm", "password-123")
            shot(joining, lang, "6-join")
            joining.click("[data-test=join]")
            assert joining.url.rstrip("/").endswith(f"/c/{slug}")
            joining.goto(link.replace("http://localhost", live_server))  # used up
            assert "404" in joining.title() or joining.locator(".error-page__code").count() == 1
        finally:
            worker.close()

        # residents: upload a file with three wrong rows; nothing is imported yet
        page.click(".steps a >> nth=4")
        expect(page.locator("[data-test=template-xlsx]")).to_be_visible()
        path = tmp_path / "residents.xlsx"
        path.write_bytes(spreadsheet(tag))
        page.set_input_files("#file", str(path))
        page.click("[data-test=upload]")
        assert counts(page) == {"total": 5, "clean": 1, "problems": 4, "skipped": 0, "imported": 0}
        expect(page.locator("[data-test=row-3] [data-problem=bad_phone]")).to_be_visible()
        expect(page.locator("[data-test=row-4] [data-problem=unknown_kind]")).to_be_visible()
        expect(page.locator("[data-test=row-5] [data-problem=duplicate_phone_in_file]")).to_be_visible()
        shot(page, lang, "7-report")

        # fix the phone and the kind, skip one of the two with the same phone
        page.click("[data-test=fix-3]")
        expect(page.locator(".error-summary")).to_be_visible()
        page.fill("#phone", phone(tag, 3))
        shot(page, lang, "8-fix-row")
        page.click("[data-test=save-row]")
        page.click("[data-test=fix-4]")
        page.fill("#kind_text", "蓝")
        page.click("[data-test=save-row]")
        page.click("[data-test=fix-6]")
        page.check("#skip")
        page.click("[data-test=save-row]")
        assert counts(page) == {"total": 5, "clean": 4, "problems": 0, "skipped": 1, "imported": 0}
        page.click("[data-test=import]")
        assert counts(page)["imported"] == 4
        expect(page.locator("[data-test=print-cards]")).to_be_visible()
        shot(page, lang, "9-imported")

        # the new community on the district dashboard, its people counted
        page.goto(f"{live_server}/d/{d}/dashboard")
        row = page.locator(f"[data-test=row-{slug}]")
        expect(row).to_be_visible()
        # four residents and the grid worker who joined (admins are staff, not counted)
        expect(row.locator("[data-figure=members]")).to_have_text("5")
        expect(row.locator("[data-figure=members_red]")).to_have_text("1")
        expect(row.locator("[data-figure=members_green]")).to_have_text("1")
        expect(page.locator("[data-test=chart-kinds] svg > title")).to_have_count(1)
        shot(page, lang, "10-dashboard")
        body = admin.request.get(f"{live_server}/d/{d}/dashboard/figures.xlsx")
        assert body.ok and body.headers["content-type"].startswith("application/vnd.openxmlformats")

        # the background export of every member, with its progress page
        page.click("[data-test=export-district_members]")
        expect(page.locator("[data-test=download]")).to_be_visible()
        shot(page, lang, "11-export")

        # the community's own dashboard, and the honour roll as it prints
        page.goto(f"{live_server}/c/{slug}/dashboard")
        expect(page.locator("[data-test=figure-members] [data-figure=members]")).to_have_text("5")
        shot(page, lang, "12-community-dashboard")
        page.goto(f"{live_server}/c/{slug}/recognition/honour-roll")
        page.emulate_media(media="print")
        shot(page, lang, "13-honour-roll-print")
        page.emulate_media(media="screen")
    finally:
        admin.close()

    # the figures API says what the page said
    from core.extensions import db
    from core.identity.actions import do_issue_token, find_user_by_login

    with app.app_context():
        token, _row = do_issue_token(find_user_by_login(district["admin"]))
        db.session.remove()
    response = app.test_client().get(f"/api/v1/districts/{d}/figures",
                                     headers={"Authorization": f"Bearer {token}"})
    item = next(i for i in response.get_json()["items"] if i["community"] == slug)
    assert item["members"] == {"red": 1, "blue": 3, "green": 1}
    assert re.fullmatch(r"\d{4}-\d{2}", response.get_json()["month"])
