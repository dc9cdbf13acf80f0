"""The minimal inbox: a notice is written once per dedupe key, worded when read, and
marked read by its member only."""

from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member
from core.notifications.actions import inbox, notify, register_kind, unread_count
from core.tenancy.context import use_community
from core.transactions import atomic


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
