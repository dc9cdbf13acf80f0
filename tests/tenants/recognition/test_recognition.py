"""Recognition: leaderboards with masked names, grid workers' medals and residents' stars
from the district's thresholds, the honour roll and the quarterly review, and who sees what."""

import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member
from core.ledger import actions as ledger
from core.tenancy.context import use_community
from core.transactions import atomic
from tenants.recognition import config as rules
from tenants.recognition.queries import Period, mask


def give(app, world, login, points, actor_login=None):
    with app.app_context():
        community = world.community(login.split("_")[0])
        with use_community(community.id), atomic():
            member = db.session.scalar(select(Member).where(Member.id == world.member_id(login)))
            actor = world.ids[f"user:{actor_login}"] if actor_login else None
            ledger.award(community, member, points, reason="test", actor=actor)
        db.session.remove()


def this_month():
    now = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    return f"{now.year:04d}-{now.month:02d}"


def test_masking_and_periods():
    assert mask("王秀英") == "王**" and mask("李") == "李*" and mask("") == "*"
    assert str(Period.parse("2025-Q2")) == "2025-Q2" and Period.parse("2025-Q5") is None
    assert Period.parse("2025").bounds("Asia/Shanghai")[0] == datetime(2024, 12, 31, 16, tzinfo=UTC)
    assert str(Period.parse("2025-Q1").previous()) == "2024-Q4" and str(Period.parse("2025-12").next()) == "2026-01"


def test_the_leaderboard_ranks_by_points_and_masks_who_asked(app, web, world):
    # residents of their own, far above what other suites leave in c1 this month
    top, tie_a, tie_b = (resident(app, world, login, points) for login, points in
                         (("lb_top", 90_050), ("lb_tie_a", 80_030), ("lb_tie_b", 80_030)))
    give(app, world, "c2_red", 99_999)  # another community: not on c1's board
    web.login("c1_admin")
    page = web.get(f"/c/{world.slugs['c1']}/recognition/leaderboard").get_data(as_text=True)
    ranks = re.findall(r'data-test="rank-(\d+)">.*?ranking__name">([^<]+)<.*?points__n">(\d+)<', page, re.S)
    assert ranks[:3] == [("1", "lb_top", "90050"), ("2", "lb_tie_a", "80030"), ("2", "lb_tie_b", "80030")]
    assert all(r[0] != "3" for r in ranks)  # after a tie of two comes the 4th
    assert "99999" not in page
    # the member asks to be shown without their name
    web.logout()
    web.login("c1_blue")
    give(app, world, "c1_blue", 95_000)
    assert web.post_form(f"/c/{world.slugs['c1']}/recognition/me", {"hide_name": "y"}).status_code == 303
    page = web.get(f"/c/{world.slugs['c1']}/recognition/leaderboard").get_data(as_text=True)
    first = re.search(r'data-test="rank-1">.*?ranking__name">([^<]+)<', page, re.S).group(1)
    assert first == f"Resident {mask('c1 blue person')}" and "c1 blue person" not in page
    # the year view and the views by account kind, grid and building
    for by in ("kind", "grid", "building"):
        year = web.get(f"/c/{world.slugs['c1']}/recognition/leaderboard?period={this_month()[:4]}&by={by}")
        assert year.status_code == 200, by
    assert 'data-test="board-blue"' in web.get(
        f"/c/{world.slugs['c1']}/recognition/leaderboard?by=kind").get_data(as_text=True)
    assert "c1 G1" in web.get(f"/c/{world.slugs['c1']}/recognition/leaderboard?by=grid").get_data(as_text=True)
    assert web.get(f"/c/{world.slugs['c1']}/recognition/leaderboard?period=2025-Q1").status_code == 404
    book = load_workbook(io.BytesIO(web.get(f"/c/{world.slugs['c1']}/recognition/leaderboard.xlsx").data))
    names = [r[2] for r in book.active.iter_rows(values_only=True)][1:]
    assert "c1 blue person" not in names and f"Resident {mask('c1 blue person')}" in names


def test_taking_the_name_back(app, web, world):
    web.login("c1_red")
    url = f"/c/{world.slugs['c1']}/recognition/me"
    web.post_form(url, {"hide_name": "y"})
    assert 'data-test="hide" checked' in web.get(url).get_data(as_text=True)
    web.post_form(url, {"hide_name": ""})
    assert 'data-test="hide" checked' not in web.get(url).get_data(as_text=True)


def recorded_by(app, world, login) -> int:
    """Points ``login`` has recorded for residents this year (other suites may have some)."""
    from tenants.recognition import metrics

    with app.app_context():
        community = world.community(login.split("_")[0])
        with use_community(community.id):
            start, end = Period.current("year", community.timezone).bounds(community.timezone)
            value = metrics.points_recorded(community, start, end).get(world.member_id(login), 0)
        db.session.remove()
    return value


def test_medals_follow_the_districts_thresholds(app, web, world):
    for _ in range(3):
        give(app, world, "c1_red", 20, actor_login="c1_grid")  # the grid worker recorded 60 more
    recorded = recorded_by(app, world, "c1_grid")
    web.login("d1_admin")
    form = {"stars-base": "3", "tier-gold-points_recorded": str(recorded + 1000),
            "tier-silver-points_recorded": str(recorded), "tier-bronze-points_recorded": "1"}
    assert web.post_form(f"/d/{world.slugs['d1']}/recognition", form).status_code == 303
    web.logout()
    web.login("c1_admin")
    page = web.get(f"/c/{world.slugs['c1']}/recognition/grid-workers").get_data(as_text=True)
    row = re.search(r'data-test="worker-\d+">(.*?)</tr>', page, re.S).group(1)
    assert "medal--silver" in row and f">{recorded}<" in row
    # c2's district is untouched: its default thresholds (years of service too) still apply
    web.logout()
    web.login("c2_admin")
    page = web.get(f"/c/{world.slugs['c2']}/recognition/grid-workers").get_data(as_text=True)
    workers = page[page.index('data-test="grid-workers"'):page.index("</table>")]
    assert "medal--silver" not in workers


def resident(app, world, login, points=0):
    """A new resident of c1 (inside the test's transaction): nobody else's points or orders."""
    from core.identity.actions import do_add_member, do_create_user

    with app.app_context():
        community = world.community("c1")
        with use_community(community.id):
            with atomic():
                member = do_add_member(community, do_create_user(login, "password-1", login), "resident")
            if points:
                with atomic():
                    ledger.award(community, member, points, reason="test")
            number = member.number
        db.session.remove()
    return number


def test_stars_start_from_the_base_and_follow_the_rules(app, web, world):
    keen, quiet = resident(app, world, "star_keen", 60), resident(app, world, "star_quiet")
    web.login("d1_admin")
    form = {"stars-base": "2", "rule-0-metric": "points_earned", "rule-0-op": "at_least", "rule-0-value": "50",
            "rule-0-stars": "2", "rule-1-metric": "orders_uncollected", "rule-1-op": "at_least",
            "rule-1-value": "1", "rule-1-stars": "-1"}
    assert web.post_form(f"/d/{world.slugs['d1']}/recognition", form).status_code == 303
    web.logout()
    web.login("c1_admin")
    page = web.get(f"/c/{world.slugs['c1']}/recognition/stars").get_data(as_text=True)
    keen_row = re.search(rf'data-test="resident-{keen}">(.*?)</tr>', page, re.S).group(1)
    quiet_row = re.search(rf'data-test="resident-{quiet}">(.*?)</tr>', page, re.S).group(1)
    assert 'data-stars="4"' in keen_row and 'data-stars="2"' in quiet_row
    review = web.get(f"/c/{world.slugs['c1']}/recognition/review")
    assert review.status_code == 200 and "star_quiet" in review.get_data(as_text=True)  # two stars: listed
    assert web.get(f"/c/{world.slugs['c1']}/recognition/review.xlsx").status_code == 200


def test_bad_settings_are_named_and_nothing_is_saved(app, web, world):
    web.login("d1_admin")
    url = f"/d/{world.slugs['d1']}/recognition"
    response = web.post_form(url, {"stars-base": "9", "tier-gold-years": "lots", "rule-0-metric": "nope",
                                   "rule-1-metric": "points_earned", "rule-1-value": "5", "rule-1-stars": "0"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for name in ("stars-base", "tier-gold-years", "rule-0-metric", "rule-1-stars"):
        assert f'href="#{name}"' in body, name
    from tenants.recognition.queries import settings_row

    with app.app_context():
        assert settings_row(world.ids["d1"]) is None
        db.session.remove()


def test_the_honour_roll_prints_the_year(app, web, world):
    give(app, world, "c1_red", 50_000)  # among the year's top ten, whatever else is committed
    web.login("c1_admin")
    page = web.get(f"/c/{world.slugs['c1']}/recognition/honour-roll").get_data(as_text=True)
    assert 'data-test="honour-roll"' in page and "c1 red person" in page and "print-a4" in page


@pytest.mark.parametrize("path,login,status", [
    ("grid-workers", "c1_red", 403), ("stars", "c1_red", 403), ("honour-roll", "c1_grid", 403),
    ("review", "c1_grid", 403), ("grid-workers", "c1_grid", 200), ("leaderboard", "c1_red", 200),
    ("me", "c1_admin", 200), ("me", "d1_admin", 404),
])
def test_who_sees_what(web, world, path, login, status):
    web.login(login)
    assert web.get(f"/c/{world.slugs['c1']}/recognition/{path}").status_code == status


def test_tiers_and_stars_rules_directly():
    tiers = {"gold": {"years": 3, "orders_closed": 50}, "silver": {"years": 2}, "bronze": {}}
    assert rules.tier_for({"years": 3, "orders_closed": 60}, tiers, {"years", "orders_closed"}) == "gold"
    assert rules.tier_for({"years": 3, "orders_closed": 10}, tiers, {"years", "orders_closed"}) == "silver"
    # a metric nobody provides is ignored rather than blocking everyone
    assert rules.tier_for({"years": 3}, tiers, {"years"}) == "gold"
    assert rules.tier_for({"years": 0}, tiers, {"years"}) is None  # an empty tier is never given
    stars = {"base": 3, "rules": [{"metric": "a", "op": "at_least", "value": 1, "stars": 5},
                                  {"metric": "b", "op": "at_most", "value": 0, "stars": -4}]}
    assert rules.stars_for({"a": 1, "b": 0}, stars, {"a", "b"}) == 4
    assert rules.stars_for({"a": 9}, stars, {"a"}) == 5
    assert rules.stars_for({"b": 0}, stars, {"b"}) == 1


def test_claims_turned_down_count_against_the_stars(ctx, world):
    """The world's waiting claim of c1_blue is rejected: one claim turned down this year."""
    from tenants.recognition import metrics
    from tenants.rules.claim_actions import do_decide_claims
    from tests.tenants.rules.world import actor_for

    c1 = world.community("c1")
    with use_community(c1.id):
        do_decide_claims(actor_for(world, "c1_grid"), [world.ids["claim:c1"]], approve=False,
                         reason="照片看不出是本小区")
        start, end = Period.current("year", c1.timezone).bounds(c1.timezone)
        assert metrics.claims_rejected(c1, start, end) == {world.member_id("c1_blue"): 1}
        assert "claims_rejected" in metrics.resident_metrics()
