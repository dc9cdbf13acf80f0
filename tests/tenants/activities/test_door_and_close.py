"""At the door (staff check-in, the rolling code), the end, and closing with points."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.errors import ActionError
from core.extensions import db
from core.ledger.models import LedgerTransaction
from core.ledger.queries import balance, verify
from core.notifications.actions import inbox
from core.tenancy.context import use_community
from core.types import utcnow
from tenants.activities import actions, codes
from tenants.activities.models import ActivityStatus
from tenants.rules.models import RuleAward
from tests.tenants.activities.helpers import actor, member, move, new_activity


@pytest.fixture
def c1(ctx, world):
    with use_community(world.ids["c1"]):
        yield


def signed(world, activity, *logins):
    for login in logins:
        actions.do_sign_up(actor(world, login), activity, member(world, login))


def test_code_changes_every_minute_and_accepts_the_previous_one(c1, world):
    activity = new_activity(world)
    t = datetime(2030, 5, 12, 10, 0, 30, tzinfo=UTC)
    now_code = codes.current_code(activity, t)[0]
    assert len(now_code) == 6 and now_code.isdigit()
    assert codes.code_matches(activity, now_code, t)
    assert codes.code_matches(activity, now_code, t + timedelta(seconds=60))  # the previous minute's
    assert not codes.code_matches(activity, now_code, t + timedelta(seconds=120))
    assert codes.code_matches(activity, f"{now_code[:3]} {now_code[3:]}", t)
    assert not codes.code_matches(activity, "12345", t) and not codes.code_matches(activity, "abcdef", t)
    other = new_activity(world)
    assert codes.code_at(other, 1000) != codes.code_at(activity, 1000) or codes.code_at(other, 1001) != codes.code_at(activity, 1001)


def test_resident_checks_in_and_out_with_the_door_code(c1, world):
    activity = new_activity(world)
    signed(world, activity, "c1_red")
    move(activity, starts_in=-timedelta(minutes=10))
    red = actor(world, "c1_red")
    signup = actions.do_check_with_code(red, activity, codes.current_code(activity)[0])
    assert signup.checked_in_at is not None and signup.checked_in_how == "code"
    signup = actions.do_check_with_code(red, activity, codes.current_code(activity)[0])
    assert signup.checked_out_at is not None


def test_wrong_codes_are_refused_then_throttled(c1, world):
    activity = new_activity(world)
    signed(world, activity, "c1_red")
    move(activity, starts_in=-timedelta(minutes=10))
    right = codes.current_code(activity)[0]
    wrong = str((int(right) + 1) % 1_000_000).zfill(6)
    for _ in range(10):
        with pytest.raises(ActionError) as refused:
            actions.do_check_with_code(actor(world, "c1_red"), activity, wrong)
        assert (refused.value.status, refused.value.field) == (422, "code")
    with pytest.raises(ActionError) as throttled:
        actions.do_check_with_code(actor(world, "c1_red"), activity, right)
    assert throttled.value.status == 429
    assert actions.signup_of(activity, member(world, "c1_red")).checked_in_at is None


def test_no_code_check_in_before_the_door_opens_or_without_a_place(c1, world):
    activity = new_activity(world)
    signed(world, activity, "c1_red")
    with pytest.raises(ActionError) as early:
        actions.do_check_with_code(actor(world, "c1_red"), activity, codes.current_code(activity)[0])
    assert early.value.code == "too_early"
    move(activity, starts_in=-timedelta(minutes=10))
    with pytest.raises(ActionError) as nobody:
        actions.do_check_with_code(actor(world, "c1_blue"), activity, codes.current_code(activity)[0])
    assert nobody.value.code == "not_signed_up"


def test_staff_check_in_and_out_and_wrong_steps(c1, world):
    activity = new_activity(world)
    signed(world, activity, "c1_red")
    move(activity, starts_in=-timedelta(minutes=10))
    grid = actor(world, "c1_grid")
    with pytest.raises(ActionError) as out_first:
        actions.do_check_out(grid, activity, member(world, "c1_red"))
    assert out_first.value.code == "not_checked_in"
    actions.do_check_in(grid, activity, member(world, "c1_red"), how="card")
    with pytest.raises(ActionError) as twice:
        actions.do_check_in(grid, activity, member(world, "c1_red"))
    assert twice.value.code == "already_checked_in"
    with pytest.raises(ActionError) as resident:
        actions.do_check_in(actor(world, "c1_blue"), activity, member(world, "c1_red"))
    assert resident.value.status == 403


def _attend(world, activity, login, start_offset, end_offset):
    grid = actor(world, "c1_grid")
    actions.do_check_in(grid, activity, member(world, login), now=activity.starts_at + start_offset)
    if end_offset is not None:
        actions.do_check_out(grid, activity, member(world, login), now=activity.starts_at + end_offset)


def test_closing_pays_by_the_hour_needs_the_minimum_share_and_pays_once(c1, world):
    activity = new_activity(world, hours=2)  # 10 points an hour
    signed(world, activity, "c1_red", "c1_blue", "c1_green", "c1_grid")
    move(activity, starts_in=-timedelta(minutes=30), hours=2)
    _attend(world, activity, "c1_red", timedelta(minutes=-5), timedelta(hours=2, minutes=10))  # whole time
    _attend(world, activity, "c1_blue", timedelta(minutes=30), timedelta(hours=1, minutes=45))  # 75 min: 62%
    _attend(world, activity, "c1_green", timedelta(minutes=0), timedelta(minutes=60))  # 50%: nothing
    actions.do_check_in(actor(world, "c1_admin"), activity, member(world, "c1_grid"),
                        now=activity.starts_at + timedelta(minutes=90))  # never checked out
    actions.do_add_makeup(actor(world, "c1_admin"), activity, member(world, "c1_green"), 30, "Carried the tools back")
    with pytest.raises(ActionError) as early:
        actions.do_close(actor(world, "c1_grid"), activity)
    assert early.value.code == "not_ended"

    before = {n: balance(member(world, n)) for n in ("c1_red", "c1_blue", "c1_green", "c1_grid")}
    closed = actions.do_close(actor(world, "c1_grid"), activity, now=activity.ends_at + timedelta(minutes=5))
    gained = {n: balance(member(world, n)) - before[n] for n in before}
    # red 120 min = 20; blue 75 min = 12; green 60 + 30 make-up = 90 min (75%) = 15;
    # grid auto-checked-out at the end: 30 min = 25%, nothing
    assert gained == {"c1_red": 20, "c1_blue": 12, "c1_green": 15, "c1_grid": 0}
    assert (closed.status, closed.attendees_paid, closed.points_paid) == (ActivityStatus.CLOSED, 3, 47)
    grid_signup = actions.signup_of(activity, member(world, "c1_grid"))
    assert grid_signup.auto_checked_out and grid_signup.checked_out_at == activity.ends_at
    assert inbox(member(world, "c1_red"))[0].kind == "points.received"
    awards = db.session.scalars(select(RuleAward).where(RuleAward.note == activity.title)).all()
    assert sorted(a.quantity for a in awards) == [2, 2, 2]  # hours, rounded up, for the caps
    assert verify([world.ids["c1"]]) == []

    with pytest.raises(ActionError) as again:
        actions.do_close(actor(world, "c1_grid"), activity, now=activity.ends_at + timedelta(minutes=6))
    assert (again.value.status, again.value.code) == (409, "already_closed")
    assert {n: balance(member(world, n)) - before[n] for n in before} == gained
    paid = db.session.scalar(select(func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.cause_type == "activity", LedgerTransaction.cause_id == str(activity.id)))
    assert paid == 3


def test_per_attendance_rule_pays_its_points_once(c1, world):
    activity = new_activity(world, code="repair_help", hours=1)  # 5 points each
    signed(world, activity, "c1_red")
    move(activity, starts_in=-timedelta(minutes=30), hours=1)
    _attend(world, activity, "c1_red", timedelta(0), timedelta(minutes=50))
    before = balance(member(world, "c1_red"))
    actions.do_close(actor(world, "c1_admin"), activity, now=activity.ends_at)
    assert balance(member(world, "c1_red")) - before == 5


def test_caps_of_the_rule_limit_batch_pay(c1, world):
    from tests.tenants.activities.helpers import rule

    capped = rule(world, "c1", "act_hour")
    capped.cap_day = 1  # one hour a day
    db.session.commit()
    activity = new_activity(world, hours=2)
    signed(world, activity, "c1_red")
    move(activity, starts_in=-timedelta(minutes=30), hours=2)
    _attend(world, activity, "c1_red", timedelta(0), timedelta(hours=2))
    before = balance(member(world, "c1_red"))
    actions.do_close(actor(world, "c1_admin"), activity, now=activity.ends_at)
    assert balance(member(world, "c1_red")) - before == 10
    assert actions.signup_of(activity, member(world, "c1_red")).capped


def test_auto_check_out_task_flags_who_nobody_checked_out(c1, world, app):
    from core.tasks import for_app
    from tenants.activities.tasks import check_out_ended

    activity = new_activity(world)
    signed(world, activity, "c1_red")
    move(activity, starts_in=-timedelta(hours=3), hours=2)
    from sqlalchemy import update

    from tenants.activities.models import Signup

    db.session.execute(update(Signup).where(Signup.activity_id == activity.id)
                       .values(checked_in_at=activity.starts_at + timedelta(minutes=1), checked_in_how="staff"))
    db.session.commit()
    assert for_app(check_out_ended)() >= 1
    signup = actions.signup_of(activity, member(world, "c1_red"))
    db.session.refresh(signup)
    assert signup.auto_checked_out and signup.checked_out_at == activity.ends_at
    assert utcnow() > signup.checked_out_at
