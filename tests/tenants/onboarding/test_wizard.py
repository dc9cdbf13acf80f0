"""The onboarding wizard: a new community from the district's templates, its shelf and rules
edited in place, the checklist, grid workers' invitation links, and the template pages."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member, Role, User
from core.tenancy.context import all_communities, use_community
from core.tenancy.models import Community
from core.transactions import atomic
from core.types import utcnow
from tenants.onboarding import actions
from tenants.onboarding.models import Invitation, ShopItemTemplate
from tenants.rules.models import Rule, RuleTemplate
from tenants.shop.models import ShopItem


def in_app(app, fn):
    """Run ``fn()`` in an app context of its own (none is held across client requests)."""
    with app.app_context(), all_communities():
        try:
            return fn()
        finally:
            db.session.remove()


def new_community(web, world, slug="xin-cun", admin="xin_cun_admin"):
    return web.post_form(f"/d/{world.slugs['d1']}/onboard/new", {
        "name": "新村社区", "slug": slug, "timezone": "Asia/Shanghai", "admin_name": "王书记",
        "admin_login": admin, "admin_password": "password-123"})


def add_templates(web, world):
    d1 = world.slugs["d1"]
    assert web.post_form(f"/d/{d1}/templates/shop", {"new-name": "酱油", "new-category": "调味品",
                                                      "new-points": "3", "new-stock": "40"}).status_code == 303
    assert web.post_form(f"/d/{d1}/templates/rules", {
        "name": "环境卫生大扫除", "code": "cleanup", "category": "环境卫生", "points": "2", "unit": "each",
        "grid_workers_may_award": "y", "admins_may_award": "y"}).status_code == 303


def test_a_new_community_starts_from_the_districts_templates(app, web, world):
    web.login("d1_admin")
    add_templates(web, world)
    response = new_community(web, world)
    assert response.status_code == 303 and response.headers["Location"].endswith("/onboard/xin-cun/")

    def check():
        community = db.session.scalar(select(Community).where(Community.slug == "xin-cun"))
        assert community.district_id == world.ids["d1"] and community.timezone == "Asia/Shanghai"
        with use_community(community.id):
            items = db.session.scalars(select(ShopItem)).all()
            rules = db.session.scalars(select(Rule)).all()
            admin = db.session.scalar(select(Member).where(Member.role == Role.ADMIN))
        assert [(i.name, i.points, i.stock) for i in items] == [("酱油", 3, 40)]
        assert [(r.code, r.points) for r in rules] == [("cleanup", 2)]
        assert admin.user.login == "xin_cun_admin"

    in_app(app, check)
    page = web.get(f"/d/{world.slugs['d1']}/onboard/xin-cun/").get_data(as_text=True)
    for key in ("rules", "shop", "grid_workers", "residents", "merchants"):
        assert f'data-test="check-{key}"' in page
    assert "checklist__item--done" not in page  # nothing is done yet


def test_a_taken_slug_or_login_is_refused_with_nothing_made(app, web, world):
    web.login("d1_admin")
    assert new_community(web, world, slug=world.slugs["c2"]).status_code == 409  # another district's
    assert new_community(web, world, admin="c1_admin").status_code == 409
    response = web.post_form(f"/d/{world.slugs['d1']}/onboard/new", {"name": "", "slug": "Bad Slug"})
    assert response.status_code == 422
    assert in_app(app, lambda: db.session.scalar(select(Community).where(Community.name == "新村社区"))) is None


def test_the_shelf_and_the_rules_are_edited_in_place(app, web, world):
    web.login("d1_admin")
    add_templates(web, world)
    new_community(web, world)
    base = f"/d/{world.slugs['d1']}/onboard/xin-cun"
    page = web.get(f"{base}/shop").get_data(as_text=True)
    item_id = re.search(r'id="item-([0-9a-f-]+)"', page).group(1)
    prefix = "i" + item_id.replace("-", "")[:12]
    response = web.post_form(f"{base}/shop/{item_id}", {f"{prefix}-points": "4", f"{prefix}-stock": "55",
                                                        f"{prefix}-active": "y"}, page=f"{base}/shop")
    assert response.status_code == 303
    response = web.post_form(f"{base}/shop/{item_id}", {f"{prefix}-points": "0", f"{prefix}-stock": "55"},
                             page=f"{base}/shop")
    assert response.status_code == 303  # refused with a message, nothing changed
    assert web.post_form(f"{base}/shop/new", {"new-name": "大米", "new-points": "15", "new-stock": "20"},
                         page=f"{base}/shop").status_code == 303
    page = web.get(f"{base}/rules").get_data(as_text=True)
    rule_id = re.search(r'id="rule-([0-9a-f-]+)"', page).group(1)
    rprefix = "r" + rule_id.replace("-", "")[:12]
    assert web.post_form(f"{base}/rules/{rule_id}", {f"{rprefix}-points": "3"}, page=f"{base}/rules").status_code == 303

    def check():
        community = db.session.scalar(select(Community).where(Community.slug == "xin-cun"))
        with use_community(community.id):
            items = {i.name: i for i in db.session.scalars(select(ShopItem))}
            rule = db.session.scalar(select(Rule))
        assert (items["酱油"].points, items["酱油"].stock, items["酱油"].active) == (4, 55, True)
        assert items["大米"].stock == 20
        assert (rule.points, rule.active) == (3, False)  # the box was left unticked: retired

    in_app(app, check)


def test_the_checklist_fills_in(app, web, world):
    web.login("d1_admin")
    add_templates(web, world)
    new_community(web, world)
    base = f"/d/{world.slugs['d1']}/onboard/xin-cun"
    for step in ("rules", "shop"):
        assert web.post_form(f"{base}/reviewed/{step}", {"reviewed": "1"}, page=f"{base}/").status_code == 303
    web.post_form(f"{base}/invitations", {"labels": "小李", "days": "7"})
    page = web.get(f"{base}/").get_data(as_text=True)
    for key in ("rules", "shop", "grid_workers"):
        assert re.search(rf'checklist__item--done" data-test="check-{key}"', page), key
    assert re.search(r'checklist__item--todo" data-test="check-residents"', page)
    assert web.post_form(f"{base}/reviewed/nonsense", {}, page=f"{base}/").status_code == 404


# --- invitations ---------------------------------------------------------------------------------


def make_links(web, world, labels="小李\n小王", days="7", community="c1"):
    url = f"/d/{world.slugs['d1']}/onboard/{world.slugs[community]}/invitations"
    response = web.post_form(url, {"labels": labels, "days": days})
    assert response.status_code == 200
    return [link.replace("http://localhost", "") for link in
            re.findall(r'data-test="invite-link">([^<]+)<', response.get_data(as_text=True))]


def join(web, link, login, name="小李"):
    return web.post_form(link, {"name": name, "login": login, "password": "password-123",
                                "confirm": "password-123"})


def test_an_invitation_makes_a_grid_worker_once(app, web, world):
    web.login("d1_admin")
    first, second = make_links(web, world)
    web.logout()
    assert web.get(first).status_code == 200
    response = join(web, first, "xiaoli_grid")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/c/{world.slugs['c1']}/")

    def check():
        user = db.session.scalar(select(User).where(User.login == "xiaoli_grid"))
        member = db.session.scalar(select(Member).where(Member.user_id == user.id))
        return member.role, member.community_id, member.name

    assert in_app(app, check) == (Role.GRID_WORKER, world.ids["c1"], "小李")
    assert web.get(f"/c/{world.slugs['c1']}/").status_code == 200  # signed in as the new grid worker
    web.logout()
    assert web.get(first).status_code == 404  # used
    assert join(web, first, "someone_else").status_code == 404
    assert web.get(second).status_code == 200  # the other link still works


def test_bad_expired_revoked_and_foreign_links_are_not_found(app, web, world):
    web.login("d1_admin")
    link, expiring, revoked = make_links(web, world, labels="a\nb\nc")
    page = web.get(f"/d/{world.slugs['d1']}/onboard/{world.slugs['c1']}/invitations").get_data(as_text=True)
    ids = re.findall(r'/invitations/([0-9a-f-]+)/revoke', page)
    assert len(ids) == 3

    def expire():
        with atomic():
            invitation = db.session.scalar(select(Invitation).order_by(Invitation.created_at, Invitation.label)
                                           .where(Invitation.label == "b"))
            invitation.expires_at = utcnow() - timedelta(seconds=1)

    in_app(app, expire)
    revoke_id = in_app(app, lambda: db.session.scalar(select(Invitation.id).where(Invitation.label == "c")))
    web.post_form(f"/d/{world.slugs['d1']}/onboard/{world.slugs['c1']}/invitations/{revoke_id}/revoke", {},
                  page=f"/d/{world.slugs['d1']}/onboard/{world.slugs['c1']}/invitations")
    web.logout()
    assert web.get(expiring).status_code == 404
    assert web.get(revoked).status_code == 404
    token = link.rsplit("/", 1)[1]
    assert web.get(f"/join/{world.slugs['c3']}/{token}").status_code == 404  # another community's slug
    assert web.get(link[:-3] + "abc").status_code == 404  # tampered signature
    assert web.get(f"/join/{world.slugs['c1']}/" + "x" * 400).status_code == 404
    assert web.get(link).status_code == 200


def test_a_signed_in_user_is_asked_to_sign_out_first(web, world):
    web.login("d1_admin")
    link, = make_links(web, world, labels="小李")
    assert web.get(link).status_code == 409


def test_a_taken_login_is_refused_and_the_link_still_works(app, web, world):
    web.login("d1_admin")
    link, = make_links(web, world, labels="小李")
    web.logout()
    response = join(web, link, "c1_red")
    assert response.status_code == 409
    assert web.get(link).status_code == 200
    response = web.post_form(link, {"name": "小李", "login": "xiaoli2", "password": "short", "confirm": "short"})
    assert response.status_code == 422


def test_links_are_made_within_limits(web, world):
    web.login("d1_admin")
    url = f"/d/{world.slugs['d1']}/onboard/{world.slugs['c1']}/invitations"
    assert web.post_form(url, {"labels": "a", "days": "31"}).status_code == 422
    assert web.post_form(url, {"labels": "", "days": "7"}).status_code == 422
    assert web.post_form(url, {"labels": "\n".join(str(i) for i in range(51)), "days": "7"}).status_code == 422


def test_only_the_nonces_digest_is_stored(app, web, world):
    web.login("d1_admin")
    link, = make_links(web, world, labels="小李")
    nonce_hash = in_app(app, lambda: db.session.scalar(select(Invitation.nonce_hash).where(Invitation.label == "小李")))
    assert len(nonce_hash) == 64 and nonce_hash not in link


# --- templates ----------------------------------------------------------------------------------


def test_shop_templates_are_added_changed_and_removed(app, web, world):
    web.login("d1_admin")
    url = f"/d/{world.slugs['d1']}/templates/shop"
    assert web.post_form(url, {"new-name": "洗衣液", "new-points": "6", "new-stock": "25"}).status_code == 303
    assert web.post_form(url, {"new-name": "洗衣液", "new-points": "6", "new-stock": "25"}).status_code == 409
    assert web.post_form(url, {"new-name": "", "new-points": "x"}).status_code == 422
    template_id = in_app(app, lambda: db.session.scalar(select(ShopItemTemplate.id).where(
        ShopItemTemplate.name == "洗衣液")))
    prefix = "t" + template_id.hex[:12]
    web.post_form(f"{url}/{template_id}", {f"{prefix}-name": "洗衣液 2升", f"{prefix}-points": "8",
                                           f"{prefix}-stock": "10"}, page=url)
    assert in_app(app, lambda: db.session.get(ShopItemTemplate, template_id).points) == 8
    web.post_form(f"{url}/{template_id}", {"delete": "1"}, page=url)
    assert in_app(app, lambda: db.session.get(ShopItemTemplate, template_id)) is None


def test_rule_templates_are_added_changed_and_removed(app, web, world):
    web.login("d1_admin")
    url = f"/d/{world.slugs['d1']}/templates/rules"
    body = {"name": "志愿服务", "code": "service", "points": "10", "unit": "hour", "admins_may_award": "y"}
    assert web.post_form(url, body).status_code == 303
    assert web.post_form(url, body).status_code == 409
    template_id = in_app(app, lambda: db.session.scalar(select(RuleTemplate.id).where(RuleTemplate.code == "service")))
    assert web.get(f"{url}/{template_id}").status_code == 200
    web.post_form(f"{url}/{template_id}", {**body, "points": "12", "cap_day": "8"})
    template = in_app(app, lambda: db.session.get(RuleTemplate, template_id))
    assert (template.points, template.cap_day, template.code) == (12, 8, "service")
    web.post_form(f"{url}/{template_id}", {"delete": "1"}, page=f"{url}/{template_id}")
    assert in_app(app, lambda: db.session.get(RuleTemplate, template_id)) is None


@pytest.mark.parametrize("login", ["c1_admin", "c1_grid", "d2_admin"])
def test_only_the_districts_admins_manage_it(web, world, login):
    web.login(login)
    d1 = world.slugs["d1"]
    for path in ("onboard/", "onboard/new", "templates/shop", "templates/rules", "recognition",
                 f"onboard/{world.slugs['c1']}/residents"):
        assert web.get(f"/d/{d1}/{path}").status_code == 404, path


def test_a_link_already_used_cannot_be_accepted_again(ctx, world):
    """The second acceptance, holding the same invitation (as a racing request would), is
    refused by the guarded update, and the user it was making is not kept."""
    community = db.session.get(Community, world.ids["c1"])
    (invitation, _token), = actions.do_create_invitations(community, actor=None, labels=["x"])
    actions.do_accept_invitation(community, invitation, login="racer_one", password="password-1", name="一")
    with pytest.raises(actions.OnboardingError):
        actions.do_accept_invitation(community, invitation, login="racer_two", password="password-1", name="二")
    assert db.session.scalar(select(User).where(User.login == "racer_two")) is None
    assert db.session.scalar(select(User).where(User.login == "racer_one")) is not None


def test_every_table_downloads_as_xlsx(web, world):
    import io

    from openpyxl import load_workbook

    web.login("d1_admin")
    d1, c1 = world.slugs["d1"], world.slugs["c1"]
    make_links(web, world, labels="小李")
    web.post_form(f"/d/{d1}/templates/shop", {"new-name": "酱油", "new-points": "3", "new-stock": "40"})
    for path, expected in ((f"/d/{d1}/onboard/{c1}/invitations.xlsx", "小李"),
                           (f"/d/{d1}/templates/shop.xlsx", "酱油"), (f"/d/{d1}/templates/rules.xlsx", None)):
        response = web.get(path)
        assert response.status_code == 200, path
        rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
        assert rows[0][0]
        if expected:
            assert rows[1][0] == expected
