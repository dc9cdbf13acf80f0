"""The inbox and the outbox: notices in the caller's transaction, worded at display time,
SMS sent only after commit, idempotent, retried with backoff."""

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.identity.models import Member
from core.notifications import tasks
from core.notifications.actions import (
    do_mark_read,
    inbox,
    notify,
    notify_many,
    register_kind,
    text_of,
    unread_count,
)
from core.notifications.delivery import MemoryBackend
from core.notifications.models import Notification, OutboxMessage, OutboxStatus
from core.tasks import for_app
from core.tenancy.context import use_community
from core.transactions import atomic


@pytest.fixture
def memory_backend(app):
    app.config["NOTIFICATIONS_BACKEND"] = "memory"
    MemoryBackend.sent.clear()
    MemoryBackend.fail_next = 0
    yield MemoryBackend
    app.config["NOTIFICATIONS_BACKEND"] = "console"
    MemoryBackend.sent.clear()
    MemoryBackend.fail_next = 0


def member(world, name):
    community = name.split("_")[0]
    return db.session.get(Member, {"community_id": world.ids[community], "id": world.member_id(name)})


def test_notify_joins_the_callers_transaction(ctx, world):
    with use_community(world.ids["c1"]):
        red = member(world, "c1_red")
        with pytest.raises(RuntimeError):
            with atomic():
                notify(red, "points.received", points=5, reason="Clean-up")
                raise RuntimeError("the action failed after notifying")
        assert unread_count(red) == 0
        with atomic():
            notify(red, "points.received", points=5, reason="Clean-up")
        assert unread_count(red) == 1


def test_text_is_worded_in_the_readers_language(ctx, world, app):
    from flask_babel import force_locale

    with use_community(world.ids["c1"]):
        red = member(world, "c1_red")
        with atomic():
            row = notify(red, "points.received", points=5, reason="Clean-up")
        with app.test_request_context(), force_locale("en"):
            assert text_of(row) == "You received 5 points: Clean-up"
        unknown = Notification(kind="no.such.kind", params={})
        with app.test_request_context(), force_locale("en"):
            assert text_of(unknown) == "You have a new message."


def test_dedupe_key_gives_one_notice(ctx, world):
    with use_community(world.ids["c1"]):
        red = member(world, "c1_red")
        with atomic():
            assert notify(red, "points.received", dedupe_key="k", points=1, reason="r") is not None
        with atomic():
            assert notify(red, "points.received", dedupe_key="k", points=1, reason="r") is None
        assert unread_count(red) == 1


def test_notify_many_is_bulk_and_rerunnable(ctx, world):
    with use_community(world.ids["c1"]):
        ids = [world.member_id(n) for n in ("c1_red", "c1_blue", "c1_green")]
        rows = [(i, {"points": 2, "reason": "Clean-up"}) for i in ids]
        with atomic():
            assert notify_many(world.ids["c1"], "points.received", rows, dedupe_prefix="activity:x") == 3
        with atomic():
            assert notify_many(world.ids["c1"], "points.received", rows, dedupe_prefix="activity:x") == 0
        assert unread_count(member(world, "c1_blue")) == 1


def test_mark_read_only_touches_the_members_own_notices(ctx, world):
    with use_community(world.ids["c1"]):
        red, blue = member(world, "c1_red"), member(world, "c1_blue")
        with atomic():
            mine = notify(red, "points.received", points=1, reason="r")
            theirs = notify(blue, "points.received", points=1, reason="r")
        assert do_mark_read(red, [mine.id, theirs.id]) == 1
        assert unread_count(red) == 0 and unread_count(blue) == 1


def _set_phone(world, name, phone):
    m = member(world, name)
    m.user.phone = phone
    db.session.commit()
    return m


def test_sms_is_sent_only_after_commit_and_once(ctx, world, memory_backend):
    with use_community(world.ids["c1"]):
        red = _set_phone(world, "c1_red", "13800000001")
        with pytest.raises(RuntimeError):
            with atomic():
                notify(red, "points.expiring", points=5, on="2030-01-01T00:00:00+00:00")
                raise RuntimeError("rolled back")
        assert memory_backend.sent == []
        with atomic():
            notify(red, "points.expiring", points=5, on="2030-01-01T00:00:00+00:00")
            assert memory_backend.sent == []  # not before the commit
        assert [m.address for m in memory_backend.sent] == ["13800000001"]
        message = db.session.scalar(select(OutboxMessage))
        assert message.status == OutboxStatus.SENT and message.attempts == 1
        # a duplicate delivery of the task sends nothing
        assert for_app(tasks.deliver).delay(str(world.ids["c1"]), str(message.id)).get() == "skipped"
        assert len(memory_backend.sent) == 1


def test_members_without_a_phone_get_no_sms(ctx, world, memory_backend):
    with use_community(world.ids["c1"]):
        with atomic():
            notify(member(world, "c1_blue"), "points.expiring", points=5, on="2030-01-01T00:00:00+00:00")
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_temporary_failures_are_retried_with_backoff(ctx, world, memory_backend):
    assert [tasks.backoff(n) for n in (1, 2, 3)] == [30, 60, 120]
    memory_backend.fail_next = 2
    with use_community(world.ids["c1"]):
        red = _set_phone(world, "c1_red", "13800000002")
        with atomic():
            notify(red, "points.expiring", points=5, on="2030-01-01T00:00:00+00:00")
        message = db.session.scalar(select(OutboxMessage))
        db.session.refresh(message)
        assert message.status == OutboxStatus.SENT and message.attempts == 3
        assert len(memory_backend.sent) == 1


def test_gives_up_after_the_last_attempt(ctx, world, memory_backend):
    memory_backend.fail_next = 100
    with use_community(world.ids["c1"]):
        red = _set_phone(world, "c1_red", "13800000003")
        with atomic():
            notify(red, "points.expiring", points=5, on="2030-01-01T00:00:00+00:00")
        message = db.session.scalar(select(OutboxMessage))
        db.session.refresh(message)
        assert message.status == OutboxStatus.FAILED and message.attempts == tasks.MAX_ATTEMPTS
        assert message.last_error
        assert memory_backend.sent == []


def test_inbox_page_and_header_count(web, world, app):
    with app.app_context(), use_community(world.ids["c1"]):
        with atomic():
            notify(member(world, "c1_red"), "points.received", points=7, reason="Clean-up 12 May")
    web.login("c1_red")
    home = web.get(f"/c/{world.slugs['c1']}/").get_data(as_text=True)
    assert 'data-test="unread-count">1<' in home
    page = web.get(f"/c/{world.slugs['c1']}/inbox/").get_data(as_text=True)
    assert "Clean-up 12 May" in page
    done = web.post_form(f"/c/{world.slugs['c1']}/inbox/read", page=f"/c/{world.slugs['c1']}/inbox/")
    assert done.status_code == 302
    assert 'data-test="unread-count"' not in web.get(f"/c/{world.slugs['c1']}/").get_data(as_text=True)


def test_api_inbox_pages_with_a_cursor_and_marks_read(api, world, app):
    with app.app_context(), use_community(world.ids["c1"]):
        with atomic():
            for n in range(3):
                notify(member(world, "c1_red"), "points.received", points=n + 1, reason=f"r{n}")
    red = api.as_("c1_red")
    base = f"/api/v1/c/{world.slugs['c1']}/notifications"
    first = red.get(base + "?limit=2")
    assert first.status_code == 200 and len(first.json["items"]) == 2 and first.json["unread"] == 3
    assert first.json["items"][0]["params"]["reason"] == "r2"  # newest first
    second = red.get(base + f"?limit=2&cursor={first.json['next_cursor']}")
    assert [i["params"]["reason"] for i in second.json["items"]] == ["r0"]
    assert second.json["next_cursor"] is None
    assert red.get(base + "?cursor=nonsense").status_code == 422
    assert red.get(base + "?limit=x").status_code == 422
    marked = red.post(base + "/read", json={"ids": [first.json["items"][0]["id"]]})
    assert marked.json == {"marked": 1, "unread": 2}
    assert red.post(base + "/read", json={"ids": ["x"]}).status_code == 422
    # another member, and another community, see none of these
    assert api.as_("c1_blue").get(base).json["items"] == []
    assert api.as_("c2_red").get(base).status_code == 404
    assert api.as_("c2_red").get(f"/api/v1/c/{world.slugs['c2']}/notifications").json["items"] == []


def test_inbox_page_is_404_in_another_community(web, world):
    web.login("c2_red")
    assert web.get(f"/c/{world.slugs['c1']}/inbox/").status_code == 404


def test_warn_expiring_points_once_per_date(ctx, world):
    from datetime import timedelta

    from core.ledger import actions as ledger
    from core.tenancy.models import Community
    from core.types import utcnow

    with use_community(world.ids["c1"]):
        community = db.session.get(Community, world.ids["c1"])
        community.settings = {"points_expiry": {"policy": "months", "months": 1}}
        db.session.commit()
        red = member(world, "c1_red")
        with atomic():
            ledger.award(community, red, 9, reason="r")
    assert for_app(tasks.warn_expiring_points)(days=40) >= 1
    assert for_app(tasks.warn_expiring_points)(days=40) == 0
    with use_community(world.ids["c1"]):
        notices = inbox(member(world, "c1_red"))
        assert [n.params["points"] for n in notices if n.kind == "points.expiring"] == [9]
        assert notices[0].params["on"] > (utcnow() + timedelta(days=20)).isoformat()


def test_notify_once_per_key_and_read_on_the_inbox_page(app, world, web):
    register_kind("test.hello", lambda params: f"Hello {params['name']}")
    with app.app_context(), use_community(world.ids["c1"]):
        red = db.session.scalar(select(Member).where(Member.id == world.member_id("c1_red")))
        with atomic():
            assert notify(red, "test.hello", dedupe_key="k", name="王阿姨") is not None
            assert notify(red, "test.hello", dedupe_key="k", name="again") is None
            notify(red, "unknown.kind")
        assert unread_count(red) == 2
    web.login("c1_red")
    page = web.get(f"/c/{world.slugs['c1']}/inbox/").get_data(as_text=True)
    assert "Hello 王阿姨" in page and "again" not in page
    home = web.get(f"/c/{world.slugs['c1']}/").get_data(as_text=True)
    assert "/inbox/" in home
    assert web.post_form(f"/c/{world.slugs['c1']}/inbox/read", {}, page=f"/c/{world.slugs['c1']}/inbox/").status_code == 302
    with app.app_context(), use_community(world.ids["c1"]):
        red = db.session.scalar(select(Member).where(Member.id == world.member_id("c1_red")))
        assert unread_count(red) == 0
        assert len(inbox(red)) == 2
    web.logout()
    web.login("c1_blue")
    assert "Hello" not in web.get(f"/c/{world.slugs['c1']}/inbox/").get_data(as_text=True)
