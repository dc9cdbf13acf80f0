"""In a real browser at phone size, in both languages: one activity from publication to
points (create, sign up, the door code, close and pay), and one work order from report to
rating to points (report with a photo, accept, record the work, confirm and rate).
Screenshots go to test-artifacts/screenshots/activity-<lang>-*.png and order-<lang>-*.png.

The module's name sorts after the e2e modules that start a Playwright of their own: two sync
Playwright instances cannot be open at once, and this one uses the shared session browser."""

import io
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.e2e.browser import MOBILE_VIEWPORT, full_page_shot, log_in
from tests.world import PASSWORD

LANGUAGES = {"zh": "zh-CN", "en": "en-GB"}


def new_resident(app, world, lang, role="resident"):
    """A person of our own (browser tests commit: the world's people keep their balances)."""
    from core.identity.actions import do_add_member, do_create_user
    from core.identity.models import AccountKind, Role
    from core.tenancy.context import use_community
    from core.transactions import atomic

    login = f"e2e-act-{lang}-{uuid.uuid4().hex[:8]}"
    name = ("刘阿姨" if lang == "zh" else "Mrs Liu ") + login[-4:]
    with app.app_context(), use_community(world.ids["c1"]):
        with atomic():
            user = do_create_user(login, PASSWORD, name)
            member = do_add_member(world.community("c1"), user, Role(role), account_kind=AccountKind.BLUE)
            member_id = member.id
    return login, name, member_id


def sign_in(browser, base, login, locale):
    context = browser.new_context(viewport=MOBILE_VIEWPORT, locale=locale)
    page = context.new_page()
    log_in(page, base, login)
    return page


def shot(page, name):
    full_page_shot(page, name)


def balance(app, world, member_id):
    from sqlalchemy import select

    from core.extensions import db
    from core.identity.models import Member
    from core.ledger.queries import balance as balance_of
    from core.tenancy.context import use_community

    with app.app_context(), use_community(world.ids["c1"]):
        member = db.session.scalar(select(Member).where(Member.id == member_id))
        value = balance_of(member)
        db.session.remove()
    return value


def shift_activity(app, world, activity_id, *, started_minutes_ago, hours=1, checked_in=None):
    """Move the activity in time (a browser test cannot wait an hour); optionally when the
    member checked in."""
    from sqlalchemy import update

    from core.extensions import db
    from core.tenancy.context import use_community
    from core.transactions import atomic
    from core.types import utcnow
    from tenants.activities.models import Activity, Signup

    start = utcnow() - timedelta(minutes=started_minutes_ago)
    with app.app_context(), use_community(world.ids["c1"]), atomic():
        db.session.execute(update(Activity).where(Activity.id == activity_id).values(
            starts_at=start, ends_at=start + timedelta(hours=hours), signup_deadline=start - timedelta(minutes=30)))
        if checked_in is not None:
            db.session.execute(update(Signup).where(Signup.activity_id == activity_id, Signup.member_id == checked_in)
                               .values(checked_in_at=start + timedelta(minutes=1)))
    with app.app_context():
        db.session.remove()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_activity_from_publication_to_points(app, world, live_server, chromium, lang):
    locale, slug, base = LANGUAGES[lang], world.slugs["c1"], live_server
    login, name, member_id = new_resident(app, world, lang)
    title = ("河边大扫除 " if lang == "zh" else "River clean-up ") + uuid.uuid4().hex[:4]

    # the admin publishes an activity paid 10 points an hour
    admin = sign_in(chromium, base, "c1_admin", locale)
    admin.goto(f"{base}/c/{slug}/activities/new")
    local = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0) + timedelta(days=1)
    admin.fill("input[name=title]", title)
    admin.fill("textarea[name=description]", "带好手套。" if lang == "zh" else "Bring gloves.")
    admin.fill("input[name=place]", "北门" if lang == "zh" else "North gate")
    admin.fill("input[name=starts_at]", local.strftime("%Y-%m-%dT%H:%M"))
    admin.fill("input[name=ends_at]", (local + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    admin.fill("input[name=signup_deadline]", (local - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    admin.fill("input[name=capacity]", "20")
    admin.select_option("select[name=rule]", "act_hour")
    shot(admin, f"activity-{lang}-01-new")
    # wait for the navigation itself: the page before it is already "loaded"
    with admin.expect_navigation():
        admin.locator("main form button[type=submit]").last.click()
    activity_id = uuid.UUID(re.search(r"/activities/([0-9a-f-]{36})", admin.url).group(1))
    assert admin.locator("[data-test=door-link]").count() == 1
    shot(admin, f"activity-{lang}-02-published")

    # a resident finds it on the phone and signs up
    resident = sign_in(chromium, base, login, locale)
    resident.goto(f"{base}/c/{slug}/activities/")
    resident.click(f"text={title}")
    resident.wait_for_load_state()
    shot(resident, f"activity-{lang}-03-detail")
    resident.click("[data-test=sign-up]")
    resident.wait_for_load_state()
    assert resident.locator("[data-test=my-status]").count() == 1
    shot(resident, f"activity-{lang}-04-signed-up")

    # on the day: the grid worker's door screen shows the code; the resident types it
    shift_activity(app, world, activity_id, started_minutes_ago=5)
    grid = sign_in(chromium, base, "c1_grid", locale)
    grid.goto(f"{base}/c/{slug}/activities/{activity_id}/door")
    code = grid.locator("[data-test=door-code]").inner_text().replace(" ", "")
    assert re.fullmatch(r"\d{6}", code)
    shot(grid, f"activity-{lang}-05-door")
    resident.goto(f"{base}/c/{slug}/activities/{activity_id}")
    resident.fill("input[name=code]", code)
    shot(resident, f"activity-{lang}-06-code")
    resident.click("[data-test=send-code]")
    resident.wait_for_load_state()
    assert resident.locator(".notice").count() >= 1
    shot(resident, f"activity-{lang}-07-checked-in")

    # the end: nobody checked her out (flagged, out at the end time); closing pays her
    shift_activity(app, world, activity_id, started_minutes_ago=65, checked_in=member_id)
    before = balance(app, world, member_id)
    grid.goto(f"{base}/c/{slug}/activities/{activity_id}/sheet")
    shot(grid, f"activity-{lang}-08-sheet")
    grid.click("[data-test=close]")
    grid.wait_for_load_state()
    assert grid.locator("[data-test=closed]").count() == 1
    assert grid.locator("[data-test=sheet] .flag").count() >= 1
    shot(grid, f"activity-{lang}-09-closed")
    assert balance(app, world, member_id) - before == 9  # 59 minutes at 10 points an hour

    # she is told, in her inbox, with the count in the header
    resident.goto(f"{base}/c/{slug}/")
    assert resident.locator("[data-test=unread-count]").count() == 1
    resident.click("[data-test=inbox-link]")
    resident.wait_for_load_state()
    assert "9" in resident.locator("[data-test=inbox]").inner_text()
    shot(resident, f"activity-{lang}-10-inbox")
    for page in (admin, resident, grid):
        page.context.close()


def photo(tmp_path):
    path = tmp_path / "railing.png"
    buffer = io.BytesIO()
    Image.new("RGB", (480, 360), (120, 120, 120)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_work_order_from_report_to_rating_to_points(app, world, live_server, chromium, tmp_path, lang):
    locale, slug, base = LANGUAGES[lang], world.slugs["c1"], live_server
    login, name, member_id = new_resident(app, world, lang)

    # a resident reports a broken railing with a photo
    resident = sign_in(chromium, base, login, locale)
    resident.goto(f"{base}/c/{slug}/workorders/new")
    resident.select_option("select[name=category]", str(world.ids["category:c1"]))
    resident.fill("textarea[name=text]", "楼梯扶手松了，老人上下楼危险。" if lang == "zh" else "The stair railing is loose.")
    resident.fill("input[name=place]", "3号楼2单元" if lang == "zh" else "Building 3, unit 2")
    resident.check("input[name=urgency][value=high]")
    resident.set_input_files("input[name=photo]", str(photo(tmp_path)))
    shot(resident, f"order-{lang}-01-report")
    resident.click("[data-test=send-report]")
    resident.wait_for_load_state()
    order_url = resident.url
    assert re.search(r"/workorders/[0-9a-f-]{36}$", order_url)
    assert resident.locator("img.photo").evaluate("img => img.naturalWidth") == 480
    shot(resident, f"order-{lang}-02-reported")

    # a grid worker takes it and records the work
    worker_login, _name, grid_member = new_resident(app, world, lang, role="grid_worker")
    grid = sign_in(chromium, base, worker_login, locale)
    before = balance(app, world, grid_member)
    grid.goto(order_url)
    shot(grid, f"order-{lang}-03-staff-view")
    grid.click("[data-test=accept]")
    grid.wait_for_load_state()
    grid.fill("textarea[name=note]", "已紧固扶手螺丝。" if lang == "zh" else "Tightened the railing bolts.")
    shot(grid, f"order-{lang}-04-record-work")
    grid.click("[data-test=done]")
    grid.wait_for_load_state()
    assert grid.locator(".notice--success").count() == 1

    # the resident confirms and rates it: the grid worker earns the rule's points and the bonus
    resident.goto(order_url)
    resident.check("input[name=rating][value='5']")
    resident.fill("textarea[name=comment]", "很及时，谢谢！" if lang == "zh" else "Quick, thank you!")
    shot(resident, f"order-{lang}-05-confirm")
    resident.click("[data-test=confirm]")
    resident.wait_for_load_state()
    timeline = resident.locator("[data-test=timeline] li")
    assert timeline.count() == 4
    shot(resident, f"order-{lang}-06-closed")
    assert balance(app, world, grid_member) - before == 7  # repair_help 5 + bonus 2
    for page in (resident, grid):
        page.context.close()
