"""The only code that writes postings. Every points change in the product comes through here.

These functions take part in the caller's transaction (the caller's ``do_*`` action commits):
they check everything first and raise before writing anything, so a refused change leaves no
trace. Wallets are locked in a fixed order (by id) before any check, which makes concurrent
spends exact and deadlock-free; on SQLite ``BEGIN IMMEDIATE`` serialises writers instead.

After a ``LedgerError`` the caller's transaction must be rolled back (``atomic()`` does it).
"""

import functools
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from core.extensions import db
from core.ledger.models import AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction
from core.ledger.policy import NON_EARNING_KINDS, expiry_for
from core.loaded import as_loaded
from core.tenancy.context import current_scope
from core.tenancy.scoping import CrossTenantAccess
from core.types import utcnow

__all__ = ["NON_EARNING_KINDS"]  # re-exported: it used to live here


class LedgerError(Exception):
    code = "ledger_error"

    def __init__(self, message: str = "", **details):
        super().__init__(message or self.code)
        self.details = details


class InsufficientPoints(LedgerError):
    code = "insufficient_points"


class IdempotencyKeyReused(LedgerError):
    code = "idempotency_key_reused"


class Unbalanced(LedgerError):
    code = "unbalanced"


class AlreadyReversed(LedgerError):
    code = "already_reversed"


@dataclass(frozen=True)
class Cause:
    """What caused a transaction: ("rule", id), ("claim", id), ("order", id), ("voucher", id)."""

    type: str
    id: object


# --- accounts ----------------------------------------------------------------------------


# The hot path (award, spend) reads and writes with Core statements on the session's
# connection: the same SQL the ORM would send, without the unit of work's cost per row
# (bench/ledger.py measures it). Rows still go through the session's transaction, its
# tenant settings (RLS) and the checks below.
ACCOUNTS = LedgerAccount.__table__
TRANSACTIONS = LedgerTransaction.__table__
POSTINGS = LedgerPosting.__table__


@dataclass
class _Ref:
    """An account as posting needs it; wallets also carry their locked, current balance."""

    id: uuid.UUID
    community_id: uuid.UUID
    kind: AccountKind
    balance: int = 0
    member_id: uuid.UUID | None = None


def _check_scope(community_id) -> None:
    """Core statements skip the ORM's tenant filter and flush check: the same rule, here
    (on PostgreSQL row-level security refuses it as well)."""
    scope = current_scope()
    if not scope.all_communities and scope.community_id != community_id:
        raise CrossTenantAccess(
            f"ledger of community {community_id} used while acting for {scope.community_id}"
        )


def _ref(community_id, kind: AccountKind, key: str, *, lock: bool = False, **owner) -> _Ref:
    """The account by key, opened on first use; ``lock`` locks its row (wallets)."""
    _check_scope(community_id)
    query = select(ACCOUNTS.c.id, ACCOUNTS.c.balance, ACCOUNTS.c.member_id).where(
        ACCOUNTS.c.community_id == community_id, ACCOUNTS.c.key == key
    )
    if lock:
        query = query.with_for_update()
    row = db.session.connection().execute(query).first()
    if row is None:
        account = _account(community_id, kind, key, lock=lock, **owner)
        return _Ref(account.id, community_id, kind, account.balance, account.member_id)
    return _Ref(row.id, community_id, kind, row.balance, row.member_id)


ACCOUNT_BY_KEY = select(ACCOUNTS).where(
    ACCOUNTS.c.community_id == bindparam("community_id"), ACCOUNTS.c.key == bindparam("key")
)


def _find_account(community_id, key: str, *, lock: bool = False) -> LedgerAccount | None:
    if lock:
        return db.session.scalar(
            select(LedgerAccount)
            .where(LedgerAccount.community_id == community_id, LedgerAccount.key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    # Read as a row and handed to the session as its object: what an ORM query would
    # return, for a fraction of its cost (every spend looks up its target this way).
    _check_scope(community_id)
    row = db.session.connection().execute(
        ACCOUNT_BY_KEY, {"community_id": community_id, "key": key}
    ).first()
    return None if row is None else as_loaded(LedgerAccount, row._mapping)


def _account(community_id, kind: AccountKind, key: str, *, lock: bool = False,
             **owner) -> LedgerAccount:
    """The account, opened on first use. ``lock``: also lock its row (wallets) for this
    transaction and read its current balance; a row this transaction creates is its own."""
    account = _find_account(community_id, key, lock=lock)
    if account is not None:
        return account
    account = LedgerAccount(community_id=community_id, kind=kind, key=key, balance=0, **owner)
    try:
        with db.session.begin_nested():
            db.session.add(account)
    except IntegrityError:  # opened concurrently by another transaction: use that one
        account = _find_account(community_id, key, lock=lock)
    return account


def wallet_of(member) -> LedgerAccount:
    return _account(member.community_id, AccountKind.WALLET, f"wallet:{member.id}", member_id=member.id)


def _locked_wallet_of(member) -> _Ref:
    """The member's wallet, locked for this transaction: one query for lookup and lock."""
    return _ref(member.community_id, AccountKind.WALLET, f"wallet:{member.id}", lock=True,
                member_id=member.id)


def _wallet_and_other():
    """Built once (its SQL is then cached): the wallet row locked, another account's id."""
    wallet, other = ACCOUNTS.alias("wallet"), ACCOUNTS.alias("other")
    other_id = (
        select(other.c.id)
        .where(other.c.community_id == bindparam("community_id"), other.c.key == bindparam("other_key"))
        .scalar_subquery()
    )
    return (
        select(wallet.c.id, wallet.c.balance, other_id.label("other_id"))
        .where(wallet.c.community_id == bindparam("community_id"),
               wallet.c.key == bindparam("wallet_key"))
        .with_for_update(of=wallet)
    )


WALLET_AND_OTHER = _wallet_and_other()


def _locked_wallet_and(member, kind: AccountKind, key: str) -> tuple[_Ref, _Ref]:
    """The member's wallet, locked, and another account by key (not locked): one query."""
    community_id = member.community_id
    _check_scope(community_id)
    row = db.session.connection().execute(WALLET_AND_OTHER, {
        "community_id": community_id, "wallet_key": f"wallet:{member.id}", "other_key": key,
    }).first()
    if row is None or row.other_id is None:  # first use of one of them: open it
        return _locked_wallet_of(member), _ref(community_id, kind, key)
    return (_Ref(row.id, community_id, AccountKind.WALLET, row.balance, member.id),
            _Ref(row.other_id, community_id, kind))


@dataclass(frozen=True)
class AccountKey:
    """A community account named by kind and key, looked up (and opened on first use) by the
    posting itself: a spend to ``SHOP`` locks the wallet and finds the shop in one query,
    where ``to=shop_account(...)`` costs a round trip of its own first."""

    kind: AccountKind
    key: str


SHOP = AccountKey(AccountKind.SHOP, "shop")


def issuance_account(community_id) -> LedgerAccount:
    return _account(community_id, AccountKind.ISSUANCE, "issuance")


def shop_account(community_id) -> LedgerAccount:
    return _account(community_id, AccountKind.SHOP, "shop")


def expired_account(community_id) -> LedgerAccount:
    return _account(community_id, AccountKind.EXPIRED, "expired")


def merchant_account(community_id, merchant_id) -> LedgerAccount:
    return _account(
        community_id, AccountKind.MERCHANT, f"merchant:{merchant_id}", merchant_id=merchant_id
    )


# --- posting -------------------------------------------------------------------------------


def _fingerprint(kind, entries, member_id, cause) -> str:
    data = {
        "kind": kind,
        "entries": sorted([str(a.id), int(n)] for a, n, *_ in entries),
        "member": str(member_id or ""),
        "cause": [cause.type, str(cause.id)] if cause else None,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _lock_wallets(accounts: Sequence) -> dict[uuid.UUID, _Ref]:
    """Lock the wallets involved, in id order, and read their current balances."""
    wallets = {a.id: a for a in accounts if a.kind == AccountKind.WALLET}
    if not wallets:
        return {}
    community_id = next(iter(wallets.values())).community_id
    rows = db.session.connection().execute(
        select(ACCOUNTS.c.id, ACCOUNTS.c.balance, ACCOUNTS.c.member_id)
        .where(ACCOUNTS.c.community_id == community_id, ACCOUNTS.c.id.in_(sorted(wallets)))
        .order_by(ACCOUNTS.c.id)
        .with_for_update()
    )
    return {
        row.id: _Ref(row.id, community_id, AccountKind.WALLET, row.balance, row.member_id)
        for row in rows
    }


def existing_transaction(community_id, idempotency_key) -> LedgerTransaction | None:
    if not idempotency_key:
        return None
    return db.session.scalar(
        select(LedgerTransaction).where(
            LedgerTransaction.community_id == community_id,
            LedgerTransaction.idempotency_key == idempotency_key,
        )
    )


def post(
    community,
    *,
    kind: str,
    reason: str,
    entries: Sequence[tuple[LedgerAccount, int]],
    actor_id=None,
    member_id=None,
    cause: Cause | None = None,
    idempotency_key: str | None = None,
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction. A retry with the same key returns the first one."""
    return _post(
        community, kind=kind, reason=reason, legs=[(a, n, None) for a, n in entries],
        actor_id=actor_id, member_id=member_id, cause=cause, idempotency_key=idempotency_key,
        reverses=reverses,
    )


def _post(community, *, kind, reason, legs, actor_id=None, member_id=None, cause=None,
          idempotency_key=None, reverses=None, locked=None) -> LedgerTransaction:
    """``legs``: (account, amount, carried expiry). A reversal's debit of a wallet carries the
    expiry of the credit it takes back, so the points it removes are those very points.
    ``locked``: wallets this transaction has already locked (and read) itself."""
    legs = [(account, int(amount), carried) for account, amount, carried in legs if int(amount) != 0]
    if not legs or sum(amount for _, amount, _ in legs) != 0:
        raise Unbalanced("postings must be non-empty and sum to zero")
    if any(account.community_id != community.id for account, _, _ in legs):
        raise LedgerError("an account of another community")
    _check_scope(community.id)
    fingerprint = _fingerprint(kind, legs, member_id, cause)

    wallets = dict(locked or {})
    wallets.update(_lock_wallets([a for a, _, _ in legs if a.id not in wallets]))
    previous = existing_transaction(community.id, idempotency_key)
    if previous is not None:
        return _same_request(previous, fingerprint)

    for account, amount, _ in legs:
        wallet = wallets.get(account.id)
        if wallet is not None and wallet.balance + amount < 0:
            raise InsufficientPoints(
                "not enough points", balance=wallet.balance, needed=-amount, member=wallet.member_id
            )

    now = utcnow()
    earning = reverses is None and kind not in NON_EARNING_KINDS
    row = {
        "id": _new_id(),
        "community_id": community.id,
        "kind": kind,
        "reason": reason[:200],
        "actor_id": getattr(actor_id, "id", actor_id),
        "member_id": member_id,
        "cause_type": cause.type if cause else None,
        "cause_id": str(cause.id) if cause else None,
        "idempotency_key": idempotency_key,
        "fingerprint": fingerprint,
        "reverses_id": reverses.id if reverses else None,
        "created_at": now,
    }
    postings, balances = [], {}
    for account, amount, carried in legs:
        wallet = wallets.get(account.id)
        balance_after = expires_at = None
        if wallet is not None:
            balance_after = balances[account.id] = balances.get(account.id, wallet.balance) + amount
            if amount > 0 and earning:
                expires_at = expiry_for(community, now)
            elif amount < 0:
                expires_at = carried
        postings.append({
            "community_id": community.id, "id": _new_id(), "transaction_id": row["id"],
            "account_id": account.id, "amount": amount, "balance_after": balance_after,
            "expires_at": expires_at, "created_at": now,
        })

    if wallets or not (idempotency_key or reverses):
        # Wallet rows are locked: a rival with the same key or the same original waited for
        # us and then saw our row above. Only a different change under a reused key can
        # still collide here (it locked other wallets).
        _write_or_explain(community, row, postings, balances, idempotency_key, reverses)
    else:
        # Nothing was locked (no wallet involved): two requests may race to the same key.
        try:
            with db.session.begin_nested():
                _write(community, row, postings, balances)
        except IntegrityError:
            previous = existing_transaction(community.id, idempotency_key)
            if previous is not None:
                return _same_request(previous, fingerprint)
            raise AlreadyReversed("this transaction was already reversed") from None
    for account_id, balance in balances.items():
        wallets[account_id].balance = balance
        _sync_loaded_account(community.id, account_id, balance)
    return as_loaded(LedgerTransaction, row)  # the row just inserted: no query


def _write(community, row, postings, balances) -> None:
    db.session.flush()  # the caller's pending rows first (foreign keys, order of events)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            _write_pg(len(postings), len(balances)), _write_pg_params(community.id, row, postings, balances)
        )
        return
    connection.execute(insert(TRANSACTIONS), row)
    connection.execute(insert(POSTINGS), postings)
    for account_id, balance in balances.items():
        connection.execute(
            update(ACCOUNTS)
            .where(ACCOUNTS.c.community_id == community.id, ACCOUNTS.c.id == account_id)
            .values(balance=balance)
        )


# PostgreSQL: the whole write in one round trip and one statement. Data-modifying CTEs run
# whether or not the main statement reads them; foreign keys are checked at its end. One
# text per shape (postings, wallets), so the server prepares each once; plain values, not
# arrays: the driver adapts a list element by element in Python, which measured as a fifth
# of an award's CPU.
TRANSACTION_COLUMNS = (
    "community_id", "id", "kind", "reason", "actor_id", "member_id", "cause_type", "cause_id",
    "idempotency_key", "fingerprint", "reverses_id", "created_at",
)
POSTING_COLUMNS = (
    "community_id", "id", "transaction_id", "account_id", "amount", "balance_after", "expires_at",
    "created_at",
)


@functools.cache
def _write_pg(postings: int, wallets: int) -> str:
    def values(width, count, casts=None):
        one = ", ".join(f"%s::{casts[i]}" if casts else "%s" for i in range(width))
        return ", ".join(f"({one})" for _ in range(count))

    write_transaction = (f"INSERT INTO ledger_transactions ({', '.join(TRANSACTION_COLUMNS)}) "
                         f"VALUES {values(len(TRANSACTION_COLUMNS), 1)}")
    write_postings = (f"INSERT INTO ledger_postings ({', '.join(POSTING_COLUMNS)}) "
                      f"VALUES {values(len(POSTING_COLUMNS), postings)}")
    if not wallets:
        return f"WITH ledger_transaction_written AS ({write_transaction}) {write_postings}"
    return (
        f"WITH ledger_transaction_written AS ({write_transaction}), "
        f"ledger_postings_written AS ({write_postings}) "
        "UPDATE ledger_accounts SET balance = changed.balance "
        f"FROM (VALUES {values(2, wallets, ('uuid', 'bigint'))}) AS changed(id, balance) "
        "WHERE ledger_accounts.community_id = %s AND ledger_accounts.id = changed.id"
    )


def _write_pg_params(community_id, row, postings, balances) -> tuple:
    """The values in ``_write_pg``'s order."""
    params = [row[c] for c in TRANSACTION_COLUMNS]
    for posting in postings:
        params.extend(posting[c] for c in POSTING_COLUMNS)
    for account_id, balance in balances.items():
        params.extend((account_id, balance))
    if balances:
        params.append(community_id)
    return tuple(params)


def _write_or_explain(community, row, postings, balances, idempotency_key, reverses) -> None:
    try:
        _write(community, row, postings, balances)
    except IntegrityError as exc:
        message = str(exc.orig)
        if idempotency_key and "idempotency_key" in message:
            raise IdempotencyKeyReused("this key was used for another change") from exc
        if reverses is not None and "reverses_id" in message:
            raise AlreadyReversed("this transaction was already reversed") from exc
        raise


def _sync_loaded_account(community_id, account_id, balance) -> None:
    """An account object the session already holds learns its new balance (as loaded)."""
    key = db.session.identity_key(LedgerAccount, (account_id, community_id))
    account = db.session.identity_map.get(key)
    if account is not None:
        set_committed_value(account, "balance", balance)


def _same_request(previous: LedgerTransaction, fingerprint: str) -> LedgerTransaction:
    if previous.fingerprint != fingerprint:
        raise IdempotencyKeyReused("this key was used for another change")
    return previous


def _new_id():
    from core.ids import new_id

    return new_id()


# --- the operations the product uses ------------------------------------------------------


def award(community, member, points: int, *, reason, actor=None, cause=None,
          idempotency_key=None, kind="award") -> LedgerTransaction:
    """Issue ``points`` to ``member``'s wallet from the community's issuance account."""
    if points <= 0:
        raise LedgerError("an award is a positive number of points")
    _check_scope(community.id)  # before the member is read: it may belong to another tenant
    wallet, issuance = _locked_wallet_and(member, AccountKind.ISSUANCE, "issuance")
    return _post(
        community, kind=kind, reason=reason, actor_id=actor, member_id=member.id, cause=cause,
        idempotency_key=idempotency_key, locked={wallet.id: wallet},
        legs=[(issuance, -points, None), (wallet, points, None)],
    )


def spend(community, member, points: int, *, to: LedgerAccount, reason, actor=None,
          cause=None, idempotency_key=None, kind="spend") -> LedgerTransaction:
    """Move ``points`` from ``member``'s wallet to ``to`` (an account, or ``SHOP``: an
    ``AccountKey``). Raises ``InsufficientPoints`` and writes nothing when the wallet is short."""
    if points <= 0:
        raise LedgerError("a spend is a positive number of points")
    _check_scope(community.id)  # before the member is read: it may belong to another tenant
    if isinstance(to, AccountKey):
        if to.kind == AccountKind.WALLET:
            raise LedgerError("a wallet is spent to as an account, not by key")
        wallet, to = _locked_wallet_and(member, to.kind, to.key)
        locked = {wallet.id: wallet}
    elif to.kind == AccountKind.WALLET:  # two wallets: ``_post`` locks both, in id order
        wallet, locked = wallet_of(member), None
    else:
        wallet = _locked_wallet_of(member)
        locked = {wallet.id: wallet}
    return _post(
        community, kind=kind, reason=reason, actor_id=actor, member_id=member.id, cause=cause,
        idempotency_key=idempotency_key, locked=locked,
        legs=[(wallet, -points, None), (to, points, None)],
    )


def reverse(community, original: LedgerTransaction, *, reason, actor=None,
            idempotency_key=None, kind="reversal") -> LedgerTransaction:
    """The mirror image of ``original``. A transaction is reversed at most once; reversing
    an award the member has already spent fails with ``InsufficientPoints``."""
    if original.reverses_id is not None:
        raise LedgerError("a reversal is not reversed; post a new transaction")
    postings = db.session.scalars(
        select(LedgerPosting).where(
            LedgerPosting.community_id == community.id,
            LedgerPosting.transaction_id == original.id,
        )
    ).all()
    accounts = {
        a.id: a
        for a in db.session.scalars(
            select(LedgerAccount).where(LedgerAccount.id.in_([p.account_id for p in postings]))
        )
    }
    # Lock first, then look for an earlier reversal: two concurrent reversals of one
    # transaction queue on its wallets, and the second sees the first.
    wallets = _lock_wallets(list(accounts.values()))
    already = db.session.scalar(
        select(LedgerTransaction.id).where(
            LedgerTransaction.community_id == community.id,
            LedgerTransaction.reverses_id == original.id,
        )
    )
    if already is not None:
        previous = existing_transaction(community.id, idempotency_key)
        if previous is not None and previous.reverses_id == original.id:
            return previous
        raise AlreadyReversed("this transaction was already reversed")
    return _post(
        community, kind=kind, reason=reason, actor_id=actor, member_id=original.member_id,
        cause=Cause("transaction", original.id), idempotency_key=idempotency_key,
        reverses=original, locked=wallets,
        legs=[(accounts[p.account_id], -p.amount, p.expires_at) for p in postings],
    )


def refund(community, member, points: int, *, source: LedgerAccount, reason, actor=None,
           cause=None, idempotency_key=None) -> LedgerTransaction:
    """Give points back from ``source`` (the shop, a merchant's account) to the wallet."""
    if points <= 0:
        raise LedgerError("a refund is a positive number of points")
    if source.kind == AccountKind.WALLET:
        wallet, locked = wallet_of(member), None
    else:
        wallet = _locked_wallet_of(member)
        locked = {wallet.id: wallet}
    return _post(
        community, kind="refund", reason=reason, actor_id=actor, member_id=member.id,
        cause=cause, idempotency_key=idempotency_key, locked=locked,
        legs=[(source, -points, None), (wallet, points, None)],
    )


def expiry_key(member, now: datetime) -> str:
    return f"expiry:{member.id}:{now.date().isoformat()}"


def expire_due(community, member, now=None, *, actor=None) -> LedgerTransaction | None:
    """Move the member's points that are past their expiry into the expired account.

    At most one expiry per member per (UTC) day: the day is the idempotency key, and a second
    run on the same day returns the first one's transaction and moves nothing, even if more
    points have fallen due since (they go the next day). Returns None when nothing is due.
    The wallet is locked before the sum is taken, so a concurrent spend cannot make it stale.
    """
    from core.ledger.queries import expirable_points, wallet_account

    now = now or utcnow()
    if wallet_account(member) is None:
        return None
    wallet = _locked_wallet_of(member)
    key = expiry_key(member, now)
    previous = existing_transaction(community.id, key)
    if previous is not None:
        return previous
    due = expirable_points(member, now, account=wallet)
    if due <= 0:
        return None
    return _post(
        community, kind="expiry", reason="expiry", actor_id=actor, member_id=member.id,
        cause=Cause("expiry", now.date().isoformat()), idempotency_key=key,
        locked={wallet.id: wallet},
        legs=[(wallet, -due, None), (_ref(community.id, AccountKind.EXPIRED, "expired"), due, None)],
    )


def balance_of_account(account: LedgerAccount) -> int:
    """The balance from postings (the cache is checked against this by ``verify``)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(LedgerPosting.amount), 0)).where(
            LedgerPosting.community_id == account.community_id,
            LedgerPosting.account_id == account.id,
        )
    )
    return int(total or 0)


# --- batch awards (closing an activity pays thousands at once) ---------------------------------


@dataclass(frozen=True)
class _AccountId:
    """Just an account id, for ``_fingerprint`` (which reads only ``.id``)."""

    id: uuid.UUID


def _ensure_wallets(community_id, member_ids) -> dict[uuid.UUID, uuid.UUID]:
    """member id -> wallet account id, opening the missing wallets with one INSERT (a wallet
    opened concurrently is taken as it is: ON CONFLICT DO NOTHING)."""
    from core.bulk import insert_rows, matching

    keys = {f"wallet:{m}": m for m in member_ids}

    def known():
        return dict(db.session.execute(
            select(LedgerAccount.key, LedgerAccount.id).where(
                LedgerAccount.community_id == community_id, matching(LedgerAccount.key, keys))
        ).all())

    found = known()
    missing = [key for key in keys if key not in found]
    if missing:
        now = utcnow()
        insert_rows(LedgerAccount.__table__, [
            {"id": _new_id(), "community_id": community_id, "kind": AccountKind.WALLET.value, "key": key,
             "member_id": keys[key], "merchant_id": None, "balance": 0, "created_at": now}
            for key in missing
        ], on_conflict_do_nothing=["community_id", "key"])
        found = known()
    return {keys[key]: account_id for key, account_id in found.items()}


def _lock_balances(account_ids) -> dict[uuid.UUID, int]:
    """Lock the wallets in id order (as ``post`` does) and read their balances."""
    from core.bulk import matching

    return dict(db.session.execute(
        select(LedgerAccount.id, LedgerAccount.balance)
        .where(matching(LedgerAccount.id, sorted(set(account_ids))))
        .order_by(LedgerAccount.id).with_for_update()
    ).all())


def _write_balances(community_id, balances: dict[uuid.UUID, int]) -> None:
    from sqlalchemy.orm.attributes import set_committed_value

    from core.bulk import update_rows

    table = LedgerAccount.__table__
    update_rows(table, "id", [{"id": a, "balance": b} for a, b in balances.items()],
                where=table.c.community_id == community_id)
    # wallets already loaded in this session must not keep an old cached balance
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, LedgerAccount) and obj.id in balances:
            set_committed_value(obj, "balance", balances[obj.id])


def award_many(community, awards, *, actor=None, cause: Cause | None = None,
               kind: str = "award") -> dict[str, uuid.UUID]:
    """Issue many awards at once: ``awards`` is ``[(member or member id, points, reason,
    idempotency key)]``. Returns ``{key: transaction id}`` for every key, new or not.

    The same bookkeeping as one ``award`` per row (one balanced transaction each, wallet
    legs with ``balance_after`` and expiry, the same fingerprints, so a later single
    ``award`` with one of these keys is a retry), done set-based: bulk INSERTs of
    transactions and postings and one UPDATE of the wallets, which are locked in id order
    first. A key already used returns its first transaction and moves nothing; one used for
    a different award raises ``IdempotencyKeyReused`` and nothing is written.
    """
    rows = [(getattr(m, "id", m), int(points), reason, key) for m, points, reason, key in awards]
    if not rows:
        return {}
    if any(points <= 0 for _m, points, _r, _k in rows):
        raise LedgerError("an award is a positive number of points")
    keys = [key for _m, _p, _r, key in rows]
    if any(not key for key in keys) or len(set(keys)) != len(keys):
        raise LedgerError("every batch award needs its own idempotency key")
    _check_scope(community.id)
    db.session.flush()

    issuance = issuance_account(community.id)
    wallet_ids = _ensure_wallets(community.id, {m for m, _p, _r, _k in rows})
    balances = _lock_balances(wallet_ids.values())

    from core.bulk import insert_rows, matching

    previous = {
        t.idempotency_key: (t.id, t.fingerprint)
        for t in db.session.execute(
            select(LedgerTransaction.idempotency_key, LedgerTransaction.id, LedgerTransaction.fingerprint)
            .where(LedgerTransaction.community_id == community.id,
                   matching(LedgerTransaction.idempotency_key, keys))
        )
    }

    now = utcnow()
    expires_at = expiry_for(community, now) if kind not in NON_EARNING_KINDS else None
    actor_id = getattr(actor, "id", actor)
    issuance_ref = _AccountId(issuance.id)
    cause_type, cause_id = (cause.type, str(cause.id)) if cause else (None, None)
    result: dict[str, uuid.UUID] = {}
    todo, changed = [], {}
    for member_id, points, reason, key in rows:
        wallet_id = wallet_ids[member_id]
        fingerprint = _fingerprint(kind, [(issuance_ref, -points), (_AccountId(wallet_id), points)], member_id, cause)
        if key in previous:
            first_id, first_fingerprint = previous[key]
            if first_fingerprint != fingerprint:
                raise IdempotencyKeyReused("this key was used for another change", key=key)
            result[key] = first_id
            continue
        balance = changed.get(wallet_id, balances[wallet_id]) + points
        changed[wallet_id] = balance
        todo.append((member_id, wallet_id, points, reason, key, fingerprint, balance))
    if not todo:
        return result
    from core.ids import new_ids

    ids = new_ids(3 * len(todo))
    transactions, debits, credits = [], [], []
    for i, (member_id, wallet_id, points, reason, key, fingerprint, balance) in enumerate(todo):
        transaction_id = ids[3 * i]
        result[key] = transaction_id
        transactions.append({
            "id": transaction_id, "community_id": community.id, "kind": kind, "reason": reason[:200],
            "actor_id": actor_id, "member_id": member_id, "cause_type": cause_type, "cause_id": cause_id,
            "idempotency_key": key, "fingerprint": fingerprint, "reverses_id": None, "created_at": now,
        })
        # the issuance legs and the wallet legs go in separately: what they share is sent once
        debits.append({
            "id": ids[3 * i + 1], "community_id": community.id, "transaction_id": transaction_id,
            "account_id": issuance.id, "amount": -points, "balance_after": None, "expires_at": None,
            "created_at": now,
        })
        credits.append({
            "id": ids[3 * i + 2], "community_id": community.id, "transaction_id": transaction_id,
            "account_id": wallet_id, "amount": points, "balance_after": balance, "expires_at": expires_at,
            "created_at": now,
        })
    insert_rows(LedgerTransaction.__table__, transactions)
    insert_rows(LedgerPosting.__table__, debits)
    insert_rows(LedgerPosting.__table__, credits)
    _write_balances(community.id, changed)
    return result
