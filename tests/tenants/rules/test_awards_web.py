"""The award page: one or many people at once, one ledger transaction each, all or none."""

import re

from sqlalchemy import select

from core.extensions import db
from core.ledger.models import LedgerTransaction
from tests.helpers import csrf_token
from tests.tenants.rules.conftest import balance_of


def award_page(web, urls):
    html = web.get(urls("c1", "/awards/new")).get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([0-9a-f]+)"', html).group(1)
    return html, token


def post_award(web, urls, members, rule="cleanup", quantity="1", note="", token=None):
    html, fresh = award_page(web, urls)
    data = {"csrf_token": csrf_token(html), "token": token or fresh, "rule": rule,
            "quantity": quantity, "note": note, "members": [str(m) for m in members]}
    return web.client.post(urls("c1", "/awards/new"), data=data)


def test_page_lists_people_and_only_rules_the_role_may_award(web, world, urls):
    web.login("c1_grid")
    html, _token = award_page(web, urls)
    assert "c1 red person" in html and "c1 blue person" in html
    assert "c2 red person" not in html
    assert 'value="service_hour"' in html and 'value="fire"' in html


def test_bulk_award_gives_each_person_their_own_transaction(web, world, urls, app):
    web.login("c1_grid")
    people = [world.member_id(n) for n in ("c1_red", "c1_blue", "c1_green")]

    def transactions_of_people():
        # other capabilities' world steps may already have given these people transactions
        with app.app_context():
            from core.tenancy.context import use_community

            with use_community(world.ids["c1"]):
                return set(db.session.scalars(select(LedgerTransaction.id).where(
                    LedgerTransaction.member_id.in_(people))))

    before = transactions_of_people()
    balances = {name: balance_of(app, world, name) for name in ("c1_red", "c1_blue", "c1_green")}
    response = post_award(web, urls, people, rule="service_hour", quantity="2", note="社区运动会")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    for name in ("c1_red", "c1_blue", "c1_green"):
        assert balance_of(app, world, name) == balances[name] + 20
    assert len(transactions_of_people() - before) == 3
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "c1 red person" in page and "20" in page


def test_resubmitting_the_same_page_awards_nothing_more(web, world, urls, app):
    web.login("c1_grid")
    html, token = award_page(web, urls)
    for _ in range(2):
        data = {"csrf_token": csrf_token(html), "token": token, "rule": "fire", "quantity": "1",
                "members": [str(world.member_id("c1_red"))]}
        assert web.client.post(urls("c1", "/awards/new"), data=data).status_code == 302
    assert balance_of(app, world, "c1_red") == 10


def test_a_cap_hit_awards_nobody_and_names_who_hit_it(web, world, urls, app, counts):
    web.login("c1_grid")
    assert post_award(web, urls, [world.member_id("c1_red")], rule="service_hour",
                      quantity="7").status_code == 302
    before = counts()
    response = post_award(web, urls, [world.member_id(n) for n in ("c1_red", "c1_blue")],
                          rule="service_hour", quantity="2")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "c1 red person" in re.search(r'data-test="cap-hits">(.*?)</ul>', page, re.S).group(1)
    assert "c1 blue person" not in re.search(r'data-test="cap-hits">(.*?)</ul>', page, re.S).group(1)
    assert counts() == before
    assert balance_of(app, world, "c1_blue") == 0
    # the choices survive the error
    assert f'value="{world.member_id("c1_blue")}" checked' in page


def test_bad_form_input_is_refused_with_words_and_nothing_written(web, world, urls, counts):
    web.login("c1_grid")
    before = counts()
    red = [world.member_id("c1_red")]
    cases = [
        ({"members": red, "quantity": "0"}, 422),
        ({"members": red, "quantity": "-1"}, 422),
        ({"members": red, "quantity": "999999999999"}, 422),
        ({"members": red, "quantity": "abc"}, 422),
        ({"members": red, "note": "x" * 501}, 422),
        ({"members": red, "rule": "nope"}, 422),
        ({"members": []}, 422),
        ({"members": ["not-an-id"]}, 422),
        ({"members": [world.member_id("c2_red")]}, 422),
    ]
    for overrides, status in cases:
        args = {"members": red, "rule": "cleanup", "quantity": "1", "note": "", **overrides}
        response = post_award(web, urls, **args)
        assert response.status_code == status, (overrides, response.status_code)
        assert 'class="error-summary"' in response.get_data(as_text=True) or \
            'field__error' in response.get_data(as_text=True)
    assert counts() == before


def test_missing_csrf_token_is_refused(web, world, urls, counts):
    web.login("c1_grid")
    before = counts()
    _html, token = award_page(web, urls)
    response = web.client.post(urls("c1", "/awards/new"), data={
        "token": token, "rule": "cleanup", "quantity": "1", "members": [str(world.member_id("c1_red"))]})
    assert response.status_code == 400
    assert counts() == before


def test_residents_cannot_open_the_award_page(web, urls):
    web.login("c1_red")
    assert web.get(urls("c1", "/awards/new")).status_code == 403


def test_search_by_name_or_number(web, world, urls):
    web.login("c1_grid")
    page = web.get(urls("c1", "/awards/new?q=blue")).get_data(as_text=True)
    assert "c1 blue person" in page and "c1 red person" not in page
    members = web.get(urls("c1", "/members/?q=green")).get_data(as_text=True)
    assert "c1 green person" in members and "c1 blue person" not in members
    number = re.search(r"№ (\d+)", members).group(1)
    by_number = web.get(urls("c1", f"/members/?q={number}")).get_data(as_text=True)
    assert "c1 green person" in by_number
    # LIKE wildcards are searched for literally
    assert "c1 red person" not in web.get(urls("c1", "/members/?q=%25")).get_data(as_text=True)
