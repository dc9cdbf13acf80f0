"""The ledger under random sequences of operations, against a model kept in plain Python.

Each example runs in a savepoint of the rolled-back test transaction (undone at its end), on
community c1 with three fresh members, an expiry policy drawn per example and a clock the
test moves (``core.ledger.actions.utcnow`` is patched, and ``now`` is passed to expiry).

The model states the expiry rule independently of the SQL: points are used soonest-expiring
first, so at any moment what has expired is what was earned with an expiry up to then, less
everything used so far; a reversal counts as if the reversed transaction never happened (its
debit takes back the very points it credited), and refunds and reversed spends give points
back (they undo a use rather than earn). At most one expiry per member and day.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from core.extensions import db
from core.identity.actions import do_add_member, do_create_user
from core.identity.models import Role
from core.ledger import actions as ledger
from core.ledger.models import AccountKind, LedgerAccount, LedgerPosting
from core.ledger.policy import expiry_for
from core.ledger.queries import expiring_soon, verify, wallet_account
from core.tenancy.context import use_community
from core.transactions import atomic

POLICIES = [
    {"policy": "never"},
    {"policy": "months", "months": 1},
    {"policy": "months", "months": 2},
    {"policy": "year_end"},
]
MEMBERS = 2  # few, so that operations pile up on the same wallets
WHO = st.integers(0, MEMBERS - 1)
START = datetime(2031, 3, 10, 10, 0, tzinfo=UTC)


@dataclass
class Wallet:
    balance: int = 0
    lots: list = field(default_factory=list)  # (expiry, points): credits, and reversals of them
    used: int = 0
    expiry_days: dict = field(default_factory=dict)  # date -> transaction id

    def due(self, now) -> int:
        earned = sum(points for expiry, points in self.lots if expiry is not None and expiry <= now)
        return max(0, min(earned - max(0, self.used), self.balance))


@dataclass
class Txn:
    id: object
    kind: str
    effects: list  # (member index, wallet change, expiry carried by a credit)
    reversed: bool = False


def run_machine(app, world, clock, connection):
    community_id = world.ids["c1"]
    merchant_id = world.ids["m1"]

    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.savepoint = connection.begin_nested()
            self.scope = use_community(community_id)
            self.scope.__enter__()
            clock["now"] = START
            self.wallets = [Wallet() for _ in range(MEMBERS)]
            self.txns: dict = {}
            self.keys: dict = {}  # key -> (callable taking an amount, amount, transaction id)
            with atomic():
                community = self.community
                self.members = []
                for _ in range(MEMBERS):
                    login = f"sm-{uuid.uuid4().hex[:12]}"
                    user = do_create_user(login, "pw-stateful-1", login)
                    self.members.append(do_add_member(community, user, Role.RESIDENT))
            self.member_ids = [m.id for m in self.members]

        def teardown(self):
            db.session.remove()
            self.scope.__exit__(None, None, None)
            self.savepoint.rollback()

        @property
        def community(self):
            return world.community("c1")

        def member(self, i):
            from core.identity.models import Member

            return db.session.get(Member, {"community_id": community_id, "id": self.member_ids[i]})

        def now(self):
            return clock["now"]

        @initialize(policy=st.sampled_from(POLICIES))
        def set_policy(self, policy):
            with atomic():
                community = self.community
                community.settings = {**(community.settings or {}), "points_expiry": policy}

        # --- operations ---------------------------------------------------------------

        def _credit(self, i, points, kind_earns=True):
            expiry = expiry_for(self.community, self.now()) if kind_earns else None
            wallet = self.wallets[i]
            wallet.balance += points
            if kind_earns:
                wallet.lots.append((expiry, points))
            else:
                wallet.used -= points
            return expiry

        def _debit(self, i, points):
            self.wallets[i].balance -= points
            self.wallets[i].used += points

        @rule(i=WHO, points=st.integers(1, 40), keyed=st.booleans())
        def award(self, i, points, keyed):
            key = f"award-{uuid.uuid4()}" if keyed else None

            def call(amount):
                return ledger.award(self.community, self.member(i), amount, reason="stateful",
                                    idempotency_key=key)

            with atomic():
                txn = call(points)
            expiry = self._credit(i, points)
            self.txns[txn.id] = Txn(txn.id, "award", [(i, points, expiry)])
            if key:
                self.keys[key] = (call, points, txn.id)

        @rule(i=WHO, share=st.integers(1, 130), to_merchant=st.booleans(),
              keyed=st.booleans())
        def spend(self, i, share, to_merchant, keyed):
            """A share of the balance, in percent: above 100 is an overspend."""
            points = max(1, -(-self.wallets[i].balance * share // 100))
            key = f"spend-{uuid.uuid4()}" if keyed else None

            def call(amount):
                community = self.community
                to = (ledger.merchant_account(community.id, merchant_id) if to_merchant
                      else ledger.shop_account(community.id))
                return ledger.spend(community, self.member(i), amount, to=to, reason="stateful",
                                    idempotency_key=key)

            if points > self.wallets[i].balance:
                with pytest.raises(ledger.InsufficientPoints):
                    with atomic():
                        call(points)
                return
            with atomic():
                txn = call(points)
            self._debit(i, points)
            self.txns[txn.id] = Txn(txn.id, "spend", [(i, -points, None)])
            if key:
                self.keys[key] = (call, points, txn.id)

        @rule(i=WHO, j=WHO, points=st.integers(1, 30))
        def transfer(self, i, j, points):
            """Two wallet legs through ``post``: a debit of one, an earning credit of the other."""
            if i == j:
                return

            def call():
                return ledger.post(
                    self.community, kind="transfer", reason="stateful",
                    entries=[(ledger.wallet_of(self.member(i)), -points),
                             (ledger.wallet_of(self.member(j)), points)],
                )

            if points > self.wallets[i].balance:
                with pytest.raises(ledger.InsufficientPoints):
                    with atomic():
                        call()
                return
            with atomic():
                txn = call()
            self._debit(i, points)
            expiry = self._credit(j, points)
            self.txns[txn.id] = Txn(txn.id, "transfer", [(i, -points, None), (j, points, expiry)])

        @rule(i=WHO, points=st.integers(1, 20))
        def refund(self, i, points):
            with atomic():
                community = self.community
                txn = ledger.refund(community, self.member(i), points,
                                    source=ledger.shop_account(community.id), reason="stateful")
            self._credit(i, points, kind_earns=False)
            self.txns[txn.id] = Txn(txn.id, "refund", [(i, points, None)])

        @precondition(lambda self: self.txns)
        @rule(data=st.data(), keyed=st.booleans())
        def reverse(self, data, keyed):
            txn = self.txns[data.draw(st.sampled_from(sorted(self.txns, key=str)))]
            key = f"rev-{uuid.uuid4()}" if keyed else None

            def call():
                community = self.community
                original = db.session.get(ledger.LedgerTransaction, {"community_id": community.id, "id": txn.id})
                return ledger.reverse(community, original, reason="stateful", idempotency_key=key)

            if txn.reversed:
                with pytest.raises(ledger.AlreadyReversed):
                    with atomic():
                        call()
                return
            if any(change > self.wallets[i].balance for i, change, _ in txn.effects):
                with pytest.raises(ledger.InsufficientPoints):
                    with atomic():
                        call()
                return
            with atomic():
                reversal = call()
            txn.reversed = True
            for i, change, expiry in txn.effects:
                wallet = self.wallets[i]
                wallet.balance -= change
                if change > 0 and txn.kind in ("award", "transfer"):
                    if expiry is None:
                        wallet.used += change  # a debit with no expiry counts as a use
                    else:
                        wallet.lots.append((expiry, -change))
                elif change > 0:  # a refund taken back: used again
                    wallet.used += change
                else:  # a spend, transfer out or expiry given back
                    wallet.used += change
            if key:  # a retry of the reversal returns it and moves nothing
                with atomic():
                    again = call()
                assert again.id == reversal.id

        @precondition(lambda self: self.keys)
        @rule(data=st.data())
        def retry_same_key(self, data):
            key = data.draw(st.sampled_from(sorted(self.keys)))
            call, points, txn_id = self.keys[key]
            with atomic():
                again = call(points)
            assert again.id == txn_id

        @precondition(lambda self: self.keys)
        @rule(data=st.data(), delta=st.integers(1, 5))
        def reuse_key_for_another_amount(self, data, delta):
            key = data.draw(st.sampled_from(sorted(self.keys)))
            call, points, _ = self.keys[key]
            with pytest.raises(ledger.IdempotencyKeyReused):
                with atomic():
                    call(points + delta)

        @rule(days=st.integers(1, 75), hours=st.integers(0, 23))
        def advance_clock(self, days, hours):
            clock["now"] = self.now() + timedelta(days=days, hours=hours)

        @precondition(lambda self: any(
            e is not None and e > clock["now"] for w in self.wallets for e, _ in w.lots))
        @rule(data=st.data())
        def advance_to_when_points_expire(self, data):
            """Straight to a date some points expire on: between two batches' dates."""
            dates = sorted({e for w in self.wallets for e, _ in w.lots
                            if e is not None and e > self.now()})
            clock["now"] = data.draw(st.sampled_from(dates))

        @rule(i=WHO, same_day_later=st.booleans())
        def expire(self, i, same_day_later):
            wallet = self.wallets[i]
            now = self.now()
            if same_day_later:
                now = now.replace(hour=23, minute=59)
            day = now.date()
            due = wallet.due(now)
            with atomic():
                result = ledger.expire_due(self.community, self.member(i), now)
            if day in wallet.expiry_days:
                assert result is not None and result.id == wallet.expiry_days[day]
                return
            if due == 0:
                assert result is None
                return
            assert result is not None
            assert result.kind == "expiry"
            assert sum(p.amount for p in result.postings if p.amount < 0) == -due
            wallet.balance -= due
            wallet.used += due
            wallet.expiry_days[day] = result.id
            self.txns[result.id] = Txn(result.id, "expiry", [(i, -due, None)])

        @rule(i=WHO)
        def notice(self, i):
            """``expiring_soon``: the first date within 30 days when more points fall due."""
            wallet, now = self.wallets[i], self.now()
            expected = None
            if wallet.balance > 0:
                horizon = now + timedelta(days=30)
                dates = sorted({e for e, p in wallet.lots if p > 0 and e is not None and now < e <= horizon})
                for on in dates:
                    points = wallet.due(on) - wallet.due(now)
                    if points > 0:
                        expected = (points, on)
                        break
            got = expiring_soon(self.member(i), now)
            assert ((got.points, got.on) if got else None) == expected

        # --- invariants ---------------------------------------------------------------

        @invariant()
        def wallets_match_postings_and_model(self):
            for i, member_id in enumerate(self.member_ids):
                account = db.session.scalar(select(LedgerAccount).where(
                    LedgerAccount.key == f"wallet:{member_id}"))
                cached = account.balance if account else 0
                postings = 0
                if account is not None:
                    postings = db.session.scalar(select(func.coalesce(func.sum(LedgerPosting.amount), 0))
                                                 .where(LedgerPosting.account_id == account.id))
                assert cached == postings == self.wallets[i].balance
                assert cached >= 0

        @invariant()
        def every_transaction_balances_and_the_community_sums_to_zero(self):
            unbalanced = db.session.execute(
                select(LedgerPosting.transaction_id).group_by(LedgerPosting.transaction_id)
                .having(func.sum(LedgerPosting.amount) != 0)
            ).all()
            assert unbalanced == []
            total = db.session.scalar(select(func.coalesce(func.sum(LedgerPosting.amount), 0)))
            assert total == 0
            negative = db.session.scalar(select(func.count()).select_from(LedgerAccount).where(
                LedgerAccount.kind == AccountKind.WALLET, LedgerAccount.balance < 0))
            assert negative == 0
            assert verify([community_id]) == []
            db.session.commit()  # end the read (each step's actions open their own)

    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30, stateful_step_count=25, deadline=None, database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


def test_ledger_state_machine(app, world, ctx, rollback, monkeypatch):
    clock = {"now": START}
    monkeypatch.setattr(ledger, "utcnow", lambda: clock["now"])
    run_machine(app, world, clock, rollback)


def test_wallet_lookup_helper_sees_no_wallet_for_a_new_member(ctx, world):
    """The machine's first invariant relies on a missing wallet reading as zero."""
    with use_community(world.ids["c1"]), atomic():
        user = do_create_user(f"sm-{uuid.uuid4().hex[:12]}", "pw-stateful-1", "x")
        member = do_add_member(world.community("c1"), user, Role.RESIDENT)
        assert wallet_account(member) is None
