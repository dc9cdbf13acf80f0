"""Caps and approvals under real concurrent commits (no ``rollback``: every request commits;
the rows made here are new members with unique names, left behind harmlessly)."""

import threading
import uuid

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.tenancy.context import use_community
from tests.world import PASSWORD


def fresh_member(app, world, community="c1"):
    from core.identity.actions import do_add_member, do_create_user
    from core.identity.models import AccountKind, Role
    from core.transactions import atomic

    login = f"conc-{uuid.uuid4().hex[:10]}"
    with app.app_context(), use_community(world.ids[community]):
        with atomic():
            user = do_create_user(login, PASSWORD, f"并发 {login}")
            member = do_add_member(world.community(community), user, Role.RESIDENT,
                                   account_kind=AccountKind.BLUE)
        return login, member.id


def run_together(count, fn):
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(i):
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def state(app, world, member_id):
    from core.identity.models import Member
    from core.ledger.queries import balance, verify
    from tenants.rules.models import RuleAward

    with app.app_context(), use_community(world.ids["c1"]):
        member = db.session.scalar(select(Member).where(Member.id == member_id))
        hours = db.session.scalar(select(func.coalesce(func.sum(RuleAward.quantity), 0)).where(
            RuleAward.member_id == member_id))
        return balance(member), int(hours), verify([world.ids["c1"]])


def fresh_rule(app, world, **fields):
    from tenants.rules.actions import do_create_rule
    from tests.tenants.rules.world import actor_for

    code = f"conc-{uuid.uuid4().hex[:10]}"
    with app.app_context(), use_community(world.ids["c1"]):
        do_create_rule(actor_for(world, "c1_admin"), code=code, name="并发志愿服务", **fields)
    return code


@pytest.mark.parametrize("threads", [8])
def test_concurrent_awards_never_pass_a_daily_cap(app, world, threads):
    _login, member_id = fresh_member(app, world)
    code = fresh_rule(app, world, points=10, unit="hour", cap_day=8)
    url = f"/api/v1/c/{world.slugs['c1']}/awards"
    token = world.tokens["c1_grid"]

    def award(_i):
        client = app.test_client()
        response = client.post(url, json={"member": str(member_id), "rule": code,
                                          "quantity": 3},
                               headers={"Authorization": f"Bearer {token}"})
        return response.status_code, (response.get_json() or {}).get("code")

    results = run_together(threads, award)
    statuses = sorted(status for status, _code in results)
    # 3 + 3 fit under 8 hours a day; a third 3 would not
    assert statuses == [201, 201] + [409] * (threads - 2), results
    assert {code for status, code in results if status == 409} == {"cap_reached"}
    balance, hours, problems = state(app, world, member_id)
    assert (balance, hours, problems) == (60, 6, [])


def test_concurrent_approvals_of_one_claim_award_once(app, world):
    from tenants.rules import photos
    from tenants.rules.claim_actions import do_submit_claim
    from tenants.rules.queries import rule_by_code
    from tests.tenants.rules.photo_samples import webp

    login, member_id = fresh_member(app, world)
    with app.app_context(), use_community(world.ids["c1"]):
        from core.identity.models import Member
        from core.tenancy.access import Actor

        member = db.session.scalar(select(Member).where(Member.id == member_id))
        actor = Actor(member.user, world.community("c1"), member, member.role)
        claim = do_submit_claim(actor, rule_by_code(world.ids["c1"], "fire"), 1, "并发审批",
                                photo=photos.reencode(webp()))
        claim_id = claim.id
    deciders = ["c1_grid", "c1_admin"] * 3

    def approve(i):
        client = app.test_client()
        response = client.post(f"/api/v1/c/{world.slugs['c1']}/claims/{claim_id}/approve",
                               json={}, headers={"Authorization": f"Bearer {world.tokens[deciders[i]]}"})
        return response.status_code

    assert run_together(len(deciders), approve) == [200] * len(deciders)
    balance, _hours, problems = state(app, world, member_id)
    assert (balance, problems) == (10, [])


def test_concurrent_retries_of_one_claim_make_one_claim(app, world):
    from core.identity.actions import do_issue_token

    login, member_id = fresh_member(app, world)
    with app.app_context():
        from core.identity.actions import find_user_by_login

        token, _row = do_issue_token(find_user_by_login(login))

    def file(_i):
        response = app.test_client().post(
            f"/api/v1/c/{world.slugs['c1']}/claims", json={"rule": "cleanup", "note": "同一次大扫除"},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "one-deed"})
        return response.status_code, (response.get_json() or {}).get("id")

    results = run_together(4, file)
    assert {status for status, _id in results} == {201}, results
    assert len({claim_id for _status, claim_id in results}) == 1
    balance, _hours, problems = state(app, world, member_id)
    assert (balance, problems) == (2, [])
