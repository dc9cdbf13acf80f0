"""Claims and redemptions under real concurrency: many threads, each with its own request,
session and connection, committing for real (no rolled-back outer transaction). Each test
makes its own community, merchant and offer through the real actions, with unique names.

On PostgreSQL this exercises the row locks and guarded UPDATEs; on SQLite, BEGIN IMMEDIATE
and the busy timeout (no "database is locked", no lost update, no 500)."""

import threading
import uuid
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from core.extensions import db
from core.identity.models import Member, Role, User
from core.ledger import actions as ledger
from core.ledger.queries import balance, verify
from core.tenancy.access import Actor
from core.tenancy.context import use_community, use_merchant
from core.transactions import atomic
from core.types import utcnow
from merchants.vouchers.models import Voucher
from tests.world import PASSWORD


class Market:
    """A fresh community with residents holding points, a partner merchant and one offer."""

    def __init__(self, app, world, residents: int, points: int, quantity: int, per_member_limit=None,
                 offer_points=10):
        from core.districts.actions import do_create_community
        from core.identity.actions import do_add_member, do_create_user, do_issue_token
        from core.tenancy.models import District
        from merchants.offers.actions import do_create_offer
        from merchants.partners.access import enter_merchant
        from merchants.partners.actions import do_add_staff, do_create_merchant, do_partner

        tag = uuid.uuid4().hex[:10]
        self.app = app
        with app.app_context():
            platform = db.session.get(User, world.ids["user:platform"])
            district = db.session.get(District, world.ids["d1"])
            community = do_create_community(
                district, slug=f"conc-{tag}", name=f"Concurrency {tag}", actor=platform,
                admin={"login": f"conc-{tag}-admin", "password": PASSWORD, "name": "admin"})
            self.community_id, self.slug = community.id, community.slug
            admin = db.session.scalar(select(User).where(User.login == f"conc-{tag}-admin"))
            self.admin_token, _row = do_issue_token(admin)
            self.member_ids = []
            with use_community(community.id):
                with atomic():
                    members = []
                    for i in range(residents):
                        user = do_create_user(f"conc-{tag}-r{i}", PASSWORD, f"居民{i}号", actor=platform)
                        members.append(do_add_member(community, user, Role.RESIDENT, actor=platform))
                for m in members:
                    with atomic():
                        ledger.award(community, m, points, reason="test points")
                    self.member_ids.append(m.id)
            merchant = do_create_merchant(
                f"conc-m-{tag}", f"Shop {tag}", {"login": f"conc-{tag}-owner", "password": PASSWORD, "name": "owner"},
                platform)
            self.merchant_id, self.merchant_slug = merchant.id, merchant.slug
            with use_community(community.id):
                do_partner(Actor(admin, community, None, Role.ADMIN), merchant, 10)
            owner = db.session.scalar(select(User).where(User.login == f"conc-{tag}-owner"))
            with use_merchant(merchant.id):
                actor = enter_merchant(merchant.slug, owner)
                offer = do_create_offer(
                    actor, [community], title="Concurrent noodles", kind="voucher", points=offer_points,
                    valid_from=utcnow() - timedelta(hours=1), valid_until=utcnow() + timedelta(days=1),
                    quantity=quantity, per_member_limit=per_member_limit)
                self.offer_id = offer.id
                staff = do_add_staff(actor, f"conc-{tag}-till", PASSWORD, "till")
            self.staff_token, _row = do_issue_token(staff)
            db.session.remove()

    def claim_url(self):
        return f"/api/v1/c/{self.slug}/offers/{self.offer_id}/claims"

    def vouchers(self, member_id=None):
        with self.app.app_context(), use_community(self.community_id):
            query = select(func.count()).select_from(Voucher).where(Voucher.offer_id == self.offer_id)
            if member_id is not None:
                query = query.where(Voucher.member_id == member_id)
            return db.session.scalar(query)

    def balance(self, member_id):
        with self.app.app_context(), use_community(self.community_id):
            return balance(db.session.scalar(select(Member).where(Member.id == member_id)))

    def ledger_problems(self):
        with self.app.app_context(), use_community(self.community_id):
            return verify([self.community_id])


def in_parallel(app, requests):
    """Fire ``requests`` (each ``(method, url, json, token)``) at once from as many threads;
    return the responses' (status, body) in order."""
    results = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def run(i, method, url, body, token):
        client = app.test_client()
        barrier.wait()
        response = client.open(url, method=method, json=body, headers={"Authorization": f"Bearer {token}"})
        results[i] = (response.status_code, response.get_json(silent=True))

    threads = [threading.Thread(target=run, args=(i, *r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None for r in results), "a request did not finish"
    return results


def test_100_simultaneous_claims_for_10_left_make_exactly_10_vouchers(app, world):
    market = Market(app, world, residents=100, points=50, quantity=10, offer_points=10)
    results = in_parallel(app, [
        ("POST", market.claim_url(), {"member": str(m)}, market.admin_token) for m in market.member_ids])
    statuses = Counter(status for status, _body in results)
    assert statuses == {201: 10, 410: 90}, statuses
    assert {body["code"] for status, body in results if status == 410} == {"sold_out"}
    assert market.vouchers() == 10
    winners = {m for m, (status, _b) in zip(market.member_ids, results, strict=True) if status == 201}
    for m in market.member_ids:
        assert market.balance(m) == (40 if m in winners else 50)
    assert market.ledger_problems() == []


def test_per_member_limit_holds_under_concurrent_claims(app, world):
    market = Market(app, world, residents=3, points=1000, quantity=100, per_member_limit=2, offer_points=10)
    requests = [("POST", market.claim_url(), {"member": str(m)}, market.admin_token)
                for m in market.member_ids for _ in range(8)]
    results = in_parallel(app, requests)
    statuses = Counter(status for status, _body in results)
    assert statuses == {201: 6, 409: 18}, statuses
    assert {body["code"] for status, body in results if status == 409} == {"limit_reached"}
    for m in market.member_ids:
        assert market.vouchers(m) == 2
        assert market.balance(m) == 1000 - 2 * 10
    assert market.ledger_problems() == []


def test_20_simultaneous_redemptions_of_one_code_succeed_once(app, world):
    market = Market(app, world, residents=1, points=100, quantity=5, offer_points=10)
    client = app.test_client()
    claimed = client.post(market.claim_url(), json={"member": str(market.member_ids[0])},
                          headers={"Authorization": f"Bearer {market.admin_token}"})
    assert claimed.status_code == 201, claimed.get_json()
    code = claimed.get_json()["voucher"]["code"]
    url = f"/api/v1/merchants/{market.merchant_slug}/redemptions"
    results = in_parallel(app, [("POST", url, {"code": code}, market.staff_token)] * 20)
    statuses = Counter(status for status, _body in results)
    assert statuses == {200: 1, 409: 19}, statuses
    assert {body["code"] for status, body in results if status == 409} == {"already_redeemed"}
    winner = next(body for status, body in results if status == 200)
    assert all(body["redeemed_at"][:19] == winner["voucher"]["redeemed_at"][:19]
               for status, body in results if status == 409)
