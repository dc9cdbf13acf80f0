"""Redemption windows: always open by default, weekly windows and dated windows in the
community's time zone, what the resident is told, and the reminder before closing."""

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from core.ledger.queries import balance
from tenants.shop import actions, errors
from tenants.shop import windows as rules
from tenants.shop.models import WindowKind
from tests.tenants.shop.conftest import give, member

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


def weekly(weekday, opens, closes):
    return SimpleNamespace(id=f"w{weekday}", kind=WindowKind.WEEKLY, weekday=weekday, opens=time(*opens),
                           closes=time(*closes), starts_at=None, ends_at=None)


def dated(start, end):
    return SimpleNamespace(id="d", kind=WindowKind.DATED, weekday=None, opens=None, closes=None,
                           starts_at=start, ends_at=end)


SATURDAY_MORNING = weekly(5, (9, 0), (12, 0))


def test_no_windows_means_always_open():
    assert rules.is_open([], "Asia/Shanghai", local(2025, 3, 4, 3, 0))
    assert rules.next_opening([], "Asia/Shanghai", local(2025, 3, 4, 3, 0)) is None


def test_weekly_window_in_local_time():
    # 2025-03-08 is a Saturday; 09:00 in Shanghai is 01:00 UTC
    windows = [SATURDAY_MORNING]
    assert not rules.is_open(windows, "Asia/Shanghai", local(2025, 3, 8, 8, 59))
    assert rules.is_open(windows, "Asia/Shanghai", local(2025, 3, 8, 9, 0))
    assert rules.is_open(windows, "Asia/Shanghai", local(2025, 3, 8, 11, 59))
    assert not rules.is_open(windows, "Asia/Shanghai", local(2025, 3, 8, 12, 0))
    assert not rules.is_open(windows, "Asia/Shanghai", local(2025, 3, 9, 10, 0))  # Sunday
    # the same instant in UTC terms would be open on Friday evening UTC: local time decides
    assert rules.is_open(windows, "Asia/Shanghai", datetime(2025, 3, 8, 1, 30, tzinfo=UTC))
    assert not rules.is_open(windows, "UTC", datetime(2025, 3, 8, 1, 30, tzinfo=UTC))


def test_next_opening_of_weekly_window():
    windows = [SATURDAY_MORNING, weekly(2, (14, 0), (17, 0))]
    assert rules.next_opening(windows, "Asia/Shanghai", local(2025, 3, 8, 12, 30)) == local(2025, 3, 12, 14, 0)
    assert rules.next_opening(windows, "Asia/Shanghai", local(2025, 3, 6, 10, 0)) == local(2025, 3, 8, 9, 0)


def test_dated_windows_twice_a_year():
    windows = [dated(local(2025, 6, 1, 8), local(2025, 6, 15, 18)),
               dated(local(2025, 12, 1, 8), local(2025, 12, 15, 18))]
    assert rules.is_open(windows, "Asia/Shanghai", local(2025, 6, 10, 12))
    assert not rules.is_open(windows, "Asia/Shanghai", local(2025, 7, 1, 12))
    assert rules.next_opening(windows, "Asia/Shanghai", local(2025, 7, 1, 12)) == local(2025, 12, 1, 8)
    assert rules.next_opening(windows, "Asia/Shanghai", local(2026, 1, 1, 12)) is None


def test_limit_period_is_the_window_or_the_month():
    period = rules.limit_period([SATURDAY_MORNING], "Asia/Shanghai", local(2025, 3, 8, 10))
    assert (period.start, period.end) == (local(2025, 3, 8, 9), local(2025, 3, 8, 12))
    month = rules.limit_period([], "Asia/Shanghai", local(2025, 12, 31, 23, 30))
    assert (month.start, month.end) == (local(2025, 12, 1), local(2026, 1, 1))


def test_closed_shop_refuses_orders_and_writes_nothing(c1, world):
    red = member(world, "c1_red")
    give(world, "c1_red", 50)
    item = actions.do_create_item(c1, name="rice", points=15, stock=3, actor=None)
    actions.do_add_weekly_window(c1, weekday=5, opens=time(9), closes=time(12), actor=None)
    with pytest.raises(errors.ShopClosed) as caught:
        actions.do_place_order(c1, item, red, 1, actor=red.user, now=local(2025, 3, 7, 10))
    assert caught.value.details["next_opening"] == local(2025, 3, 8, 9)
    assert balance(red) == 50
    order = actions.do_place_order(c1, item, red, 1, actor=red.user, now=local(2025, 3, 8, 10))
    assert order.points == 15


def test_limit_resets_with_the_next_window(c1, world):
    red = member(world, "c1_red")
    give(world, "c1_red", 100)
    item = actions.do_create_item(c1, name="oil", points=10, stock=10, per_member_limit=1, actor=None)
    actions.do_add_weekly_window(c1, weekday=5, opens=time(9), closes=time(12), actor=None)
    saturday = local(2025, 3, 8, 10)
    actions.do_place_order(c1, item, red, 1, actor=red.user, now=saturday)
    with pytest.raises(errors.LimitReached):
        actions.do_place_order(c1, item, red, 1, actor=red.user, now=saturday + timedelta(minutes=5))
    actions.do_place_order(c1, item, red, 1, actor=red.user, now=saturday + timedelta(days=7))
    assert balance(red) == 80


def test_reminder_before_a_window_closes_once_per_member(c1, world, app):
    from core.notifications.actions import inbox, text_of

    red, blue = member(world, "c1_red"), member(world, "c1_blue")
    give(world, "c1_red", 20)  # can afford the item
    give(world, "c1_blue", 1)  # cannot
    actions.do_create_item(c1, name="rice", points=15, stock=3, actor=None)
    starts, ends = local(2025, 6, 1, 8), local(2025, 6, 15, 18)
    actions.do_add_dated_window(c1, starts_at=starts, ends_at=ends, actor=None)
    assert actions.do_send_closing_reminders(c1, now=ends - timedelta(hours=30)) == 0  # too early
    assert actions.do_send_closing_reminders(c1, now=ends - timedelta(hours=20)) >= 1
    assert actions.do_send_closing_reminders(c1, now=ends - timedelta(hours=2)) == 0  # already told
    assert actions.do_send_closing_reminders(c1, now=ends + timedelta(hours=1)) == 0  # closed
    assert [n.kind for n in inbox(red)] == ["shop.window_closing"]
    assert inbox(blue) == []
    with app.test_request_context():
        assert "closes" in text_of(inbox(red)[0])


def test_shop_status_says_when_it_next_opens(c1, world):
    from tenants.shop.queries import shop_status

    assert shop_status(c1, local(2025, 3, 7, 10)).always_open
    actions.do_add_weekly_window(c1, weekday=5, opens=time(9), closes=time(12), actor=None)
    closed = shop_status(c1, local(2025, 3, 7, 10))
    assert (closed.open, closed.next_opening) == (False, local(2025, 3, 8, 9))
    opened = shop_status(c1, local(2025, 3, 8, 10))
    assert (opened.open, opened.closes_at) == (True, local(2025, 3, 8, 12))
