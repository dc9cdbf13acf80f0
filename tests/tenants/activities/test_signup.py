"""Sign-up, the waitlist and its automatic promotion, deadlines and team-only activities."""

from datetime import timedelta

import pytest

from core.errors import ActionError
from core.notifications.actions import inbox
from core.tenancy.context import use_community
from tenants.activities import actions
from tenants.activities.models import SignupStatus
from tenants.activities.queries import counts, waitlist_position
from tests.tenants.activities.helpers import actor, member, move, new_activity


@pytest.fixture
def c1(ctx, world):
    with use_community(world.ids["c1"]):
        yield


def sign_up(world, login, activity):
    return actions.do_sign_up(actor(world, login), activity, member(world, login))


def test_places_then_waitlist_then_promotion_with_a_notice(c1, world):
    activity = new_activity(world, capacity=2)
    assert sign_up(world, "c1_red", activity).status == SignupStatus.SIGNED_UP
    assert sign_up(world, "c1_blue", activity).status == SignupStatus.SIGNED_UP
    green = sign_up(world, "c1_green", activity)
    grid = sign_up(world, "c1_grid", activity)
    assert (green.status, grid.status) == (SignupStatus.WAITLISTED, SignupStatus.WAITLISTED)
    assert waitlist_position(activity, grid) == 2
    assert counts([activity.id])[activity.id] == (2, 2)

    actions.do_cancel_signup(actor(world, "c1_blue"), activity, member(world, "c1_blue"))
    assert actions.signup_of(activity, member(world, "c1_green")).status == SignupStatus.SIGNED_UP
    assert actions.signup_of(activity, member(world, "c1_grid")).status == SignupStatus.WAITLISTED
    assert waitlist_position(activity, actions.signup_of(activity, member(world, "c1_grid"))) == 1
    kinds = [n.kind for n in inbox(member(world, "c1_green"))]
    assert kinds[:2] == ["activity.promoted", "activity.waitlisted"]


def test_more_capacity_promotes_the_waitlist(c1, world):
    activity = new_activity(world, capacity=1)
    sign_up(world, "c1_red", activity)
    sign_up(world, "c1_blue", activity)
    actions.do_update_activity(actor(world, "c1_admin"), activity, title=activity.title, place=activity.place,
                               description="", capacity=2, min_share=60, starts_at=activity.starts_at,
                               ends_at=activity.ends_at, signup_deadline=activity.signup_deadline)
    assert actions.signup_of(activity, member(world, "c1_blue")).status == SignupStatus.SIGNED_UP
    with pytest.raises(ActionError) as refused:
        actions.do_update_activity(actor(world, "c1_admin"), activity, title=activity.title, place="x",
                                   description="", capacity=1, min_share=60, starts_at=activity.starts_at,
                                   ends_at=activity.ends_at, signup_deadline=activity.signup_deadline)
    assert refused.value.code == "capacity_below_signups"


def test_signing_up_twice_and_cancelling_twice_are_refused(c1, world):
    activity = new_activity(world)
    sign_up(world, "c1_red", activity)
    with pytest.raises(ActionError) as twice:
        sign_up(world, "c1_red", activity)
    assert (twice.value.status, twice.value.code) == (409, "already_signed_up")
    actions.do_cancel_signup(actor(world, "c1_red"), activity, member(world, "c1_red"))
    with pytest.raises(ActionError) as again:
        actions.do_cancel_signup(actor(world, "c1_red"), activity, member(world, "c1_red"))
    assert again.value.code == "not_signed_up"
    # a cancelled member may sign up again, at the back of the queue
    assert sign_up(world, "c1_red", activity).status == SignupStatus.SIGNED_UP


def test_deadline_and_start(c1, world):
    activity = new_activity(world)
    sign_up(world, "c1_red", activity)
    move(activity, starts_in=timedelta(minutes=20))  # deadline was 30 minutes before the start
    with pytest.raises(ActionError) as late:
        sign_up(world, "c1_blue", activity)
    assert late.value.code == "signup_closed"
    move(activity, starts_in=-timedelta(minutes=5))
    with pytest.raises(ActionError) as started:
        actions.do_cancel_signup(actor(world, "c1_red"), activity, member(world, "c1_red"))
    assert started.value.code == "too_late"


def test_team_only_activity(c1, world):
    from tenants.grid.access import access_team

    admin = actor(world, "c1_admin")
    team = access_team(admin, world.ids["team:c1"])
    activity = new_activity(world, team=team)
    assert sign_up(world, "c1_green", activity).status == SignupStatus.SIGNED_UP  # the team's leader
    with pytest.raises(ActionError) as outsider:
        sign_up(world, "c1_red", activity)
    assert outsider.value.code == "team_only"


def test_residents_sign_up_only_themselves_staff_anyone(c1, world):
    activity = new_activity(world)
    with pytest.raises(ActionError) as refused:
        actions.do_sign_up(actor(world, "c1_red"), activity, member(world, "c1_blue"))
    assert refused.value.status == 403
    signup = actions.do_sign_up(actor(world, "c1_grid"), activity, member(world, "c1_blue"))
    assert signup.signed_up_by_id == world.member_id("c1_grid")


@pytest.mark.parametrize("change, field", [
    ({"title": ""}, "title"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": True}, "capacity"),
    ({"min_share": 0}, "min_share"),
    ({"ends_at": "start"}, "ends_at"),
    ({"signup_deadline": "after"}, "signup_deadline"),
])
def test_bad_details_are_refused_with_the_field(c1, world, change, field):
    from core.types import utcnow

    start = utcnow() + timedelta(days=1)
    values = dict(title="t", place="p", description="", capacity=3, min_share=60, starts_at=start,
                  ends_at=start + timedelta(hours=1), signup_deadline=start - timedelta(hours=1))
    for key, value in change.items():
        values[key] = {"start": start, "after": start + timedelta(minutes=1)}.get(value, value)
    from tests.tenants.activities.helpers import rule

    with pytest.raises(ActionError) as refused:
        actions.do_create_activity(actor(world, "c1_admin"), rule=rule(world, "c1"), **values)
    assert (refused.value.status, refused.value.field) == (422, field)
