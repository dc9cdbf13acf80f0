"""The personal record card (个人记录卡) and the home page's balance."""

import re
from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member
from core.ledger import actions as ledger
from core.tenancy.context import use_community
from core.transactions import atomic
from core.types import utcnow
from tenants.rules.actions import do_award_points
from tenants.rules.queries import rule_by_code
from tests.tenants.rules.world import actor_for


def give(app, world, name, code, quantity=1, note="", by="c1_grid"):
    with app.app_context(), use_community(world.ids["c1"]):
        member = db.session.scalar(select(Member).where(Member.id == world.member_id(name)))
        awards = do_award_points(actor_for(world, by), rule_by_code(world.ids["c1"], code),
                                 [member], quantity, note)
        return awards[0].transaction_id


def card_url(urls, world, name, suffix=""):
    return urls("c1", f"/members/{world.member_id(name)}/card{suffix}")


def test_resident_sees_balance_kind_and_readable_history(web, world, urls, app):
    give(app, world, "c1_red", "service_hour", 2, note="敬老院陪护")
    give(app, world, "c1_red", "cleanup")
    web.login("c1_red")
    home = web.get(urls("c1", "/")).get_data(as_text=True)
    assert re.search(r'data-test="balance">\s*22\s*<', home)
    assert "志愿服务 ×2 · 20" in home
    response = web.get(urls("c1", "/card"))
    assert response.status_code == 302
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'data-test="card-balance">\s*22\s*<', page)
    assert "badge--red" in page and "party member" in page
    history = re.search(r'data-test="history">(.*?)</ul>', page, re.S).group(1)
    assert history.index("环境卫生大扫除") < history.index("志愿服务 ×2")  # newest first
    assert "c1 grid person" in history  # who recorded it
    assert "敬老院陪护" in history
    assert "+20" in history and "+2" in history


def test_corrections_read_as_corrections(web, world, urls, app):
    transaction_id = give(app, world, "c1_blue", "fire")
    with app.app_context(), use_community(world.ids["c1"]):
        from core.ledger.models import LedgerTransaction

        original = db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.id == transaction_id))
        with atomic():
            ledger.reverse(world.community("c1"), original, reason="误录")
    web.login("c1_blue")
    page = web.get(card_url(urls, world, "c1_blue")).get_data(as_text=True)
    assert "误录" in page and "-10" in page
    assert re.search(r'data-test="card-balance">\s*0\s*<', page)


def test_month_filter(web, world, urls, app):
    give(app, world, "c1_red", "cleanup")
    web.login("c1_red")
    from zoneinfo import ZoneInfo

    this_month = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    page = web.get(card_url(urls, world, "c1_red", f"?month={this_month}")).get_data(as_text=True)
    assert "环境卫生大扫除" in page and "2 points earned" in page
    old = web.get(card_url(urls, world, "c1_red", "?month=2001-01")).get_data(as_text=True)
    assert "环境卫生大扫除" not in old and "No points yet in this period." in old
    # anything else shows every month
    for bad in ("2001-13", "nonsense", "99999-01", "'; drop table"):
        response = web.get(card_url(urls, world, "c1_red", f"?month={bad}"))
        assert response.status_code == 200
        assert "环境卫生大扫除" in response.get_data(as_text=True)


def test_expiring_points_are_announced(web, world, urls, app, monkeypatch):
    with app.app_context():
        community = world.community("c1")
        community.settings = {"points_expiry": {"policy": "months", "months": 1}}
        db.session.commit()
    give(app, world, "c1_red", "fire")
    import tenants.rules.card_views as card_views

    later = utcnow() + timedelta(days=20)
    monkeypatch.setattr(card_views, "utcnow", lambda: later)
    web.login("c1_red")
    page = web.get(card_url(urls, world, "c1_red")).get_data(as_text=True)
    notice = re.search(r'data-test="expiring">(.*?)</p>', page, re.S)
    assert notice and "10 points expire on" in notice.group(1)


def test_no_expiry_notice_without_a_policy(web, world, urls, app):
    give(app, world, "c1_red", "fire")
    web.login("c1_red")
    assert 'data-test="expiring"' not in web.get(card_url(urls, world, "c1_red")).get_data(as_text=True)


def test_printable_card(web, world, urls, app):
    give(app, world, "c1_green", "cleanup")
    web.login("c1_grid")
    page = web.get(card_url(urls, world, "c1_green", "/print")).get_data(as_text=True)
    assert "print-card__history" in page and "环境卫生大扫除" in page
    assert "Community c1" in page and "c1 green person" in page
    assert "<script>" not in page  # CSP: the print button's code lives in static/js


def test_staff_open_any_card_residents_only_their_own(web, world, urls):
    web.login("c1_grid")
    assert web.get(card_url(urls, world, "c1_blue")).status_code == 200
    members = web.get(urls("c1", "/members/")).get_data(as_text=True)
    assert str(world.member_id("c1_blue")) in members
    web.logout()
    web.login("c1_red")
    assert web.get(card_url(urls, world, "c1_blue")).status_code == 404
    assert web.get(card_url(urls, world, "c1_blue", "/print")).status_code == 404
    assert web.get(urls("c1", "/members/")).status_code == 403


def test_home_tiles_per_role(web, world, urls):
    web.login("c1_red")
    resident = web.get(urls("c1", "/")).get_data(as_text=True)
    assert "/card" in resident and "/claims/new" in resident
    assert "/awards/new" not in resident and "/claims/queue" not in resident
    web.logout()
    web.login("c1_grid")
    staff = web.get(urls("c1", "/")).get_data(as_text=True)
    for path in ("/awards/new", "/claims/queue", "/members/", "/card"):
        assert path in staff
    assert "(1)" in staff  # one claim waiting in the world
