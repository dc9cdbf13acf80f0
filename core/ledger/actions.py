"""The only code that writes postings. Every points change in the product comes through here.

These functions take part in the caller's transaction (the caller's ``do_*`` action commits):
they check everything first and raise before writing anything, so a refused change leaves no
trace. Wallets are locked in a fixed order (by id) before any check, which makes concurrent
spends exact and deadlock-free; on SQLite ``BEGIN IMMEDIATE`` serialises writers instead.
"""

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.extensions import db
from core.ledger.models import AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction
from core.ledger.policy import expiry_for
from core.types import utcnow


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


def _account(community_id, kind: AccountKind, key: str, **owner) -> LedgerAccount:
    query = select(LedgerAccount).where(
        LedgerAccount.community_id == community_id, LedgerAccount.key == key
    )
    account = db.session.scalar(query)
    if account is not None:
        return account
    account = LedgerAccount(community_id=community_id, kind=kind, key=key, balance=0, **owner)
    try:
        with db.session.begin_nested():
            db.session.add(account)
    except IntegrityError:  # opened concurrently by another transaction: use that one
        account = db.session.scalar(query)
    return account


def wallet_of(member) -> LedgerAccount:
    return _account(member.community_id, AccountKind.WALLET, f"wallet:{member.id}", member_id=member.id)


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
        "entries": sorted([str(a.id), int(n)] for a, n in entries),
        "member": str(member_id or ""),
        "cause": [cause.type, str(cause.id)] if cause else None,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _lock_wallets(accounts: Sequence[LedgerAccount]) -> dict[uuid.UUID, LedgerAccount]:
    """Lock the wallets involved, in id order, and read their current balances."""
    ids = sorted({a.id for a in accounts if a.kind == AccountKind.WALLET})
    if not ids:
        return {}
    rows = db.session.scalars(
        select(LedgerAccount)
        .where(LedgerAccount.id.in_(ids))
        .order_by(LedgerAccount.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.id: row for row in rows}


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
    entries = [(account, int(amount)) for account, amount in entries if int(amount) != 0]
    if not entries or sum(amount for _, amount in entries) != 0:
        raise Unbalanced("postings must be non-empty and sum to zero")
    if any(account.community_id != community.id for account, _ in entries):
        raise LedgerError("an account of another community")
    fingerprint = _fingerprint(kind, entries, member_id, cause)

    wallets = _lock_wallets([account for account, _ in entries])
    previous = existing_transaction(community.id, idempotency_key)
    if previous is not None:
        if previous.fingerprint != fingerprint:
            raise IdempotencyKeyReused("this key was used for another change")
        return previous

    for account, amount in entries:
        wallet = wallets.get(account.id)
        if wallet is not None and wallet.balance + amount < 0:
            raise InsufficientPoints(
                "not enough points", balance=wallet.balance, needed=-amount, member=wallet.member_id
            )

    now = utcnow()
    transaction = LedgerTransaction(
        id=_new_id(),
        community_id=community.id,
        kind=kind,
        reason=reason[:200],
        actor_id=getattr(actor_id, "id", actor_id),
        member_id=member_id,
        cause_type=cause.type if cause else None,
        cause_id=str(cause.id) if cause else None,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        reverses_id=reverses.id if reverses else None,
        created_at=now,
    )
    db.session.add(transaction)
    for account, amount in entries:
        wallet = wallets.get(account.id)
        balance_after = None
        expires_at = None
        if wallet is not None:
            wallet.balance += amount
            balance_after = wallet.balance
            if amount > 0 and kind not in NON_EARNING_KINDS:
                expires_at = expiry_for(community, now)
        db.session.add(
            LedgerPosting(
                community_id=community.id,
                transaction_id=transaction.id,
                account_id=account.id,
                amount=amount,
                balance_after=balance_after,
                expires_at=expires_at,
                created_at=now,
            )
        )
    db.session.flush()
    return transaction


# Credits of these kinds give back points already held: they do not start a new expiry clock.
NON_EARNING_KINDS = frozenset({"refund", "reversal"})


def _new_id():
    from core.ids import new_id

    return new_id()


# --- the operations the product uses ------------------------------------------------------


def award(community, member, points: int, *, reason, actor=None, cause=None,
          idempotency_key=None, kind="award") -> LedgerTransaction:
    """Issue ``points`` to ``member``'s wallet from the community's issuance account."""
    if points <= 0:
        raise LedgerError("an award is a positive number of points")
    return post(
        community, kind=kind, reason=reason, actor_id=actor, member_id=member.id, cause=cause,
        idempotency_key=idempotency_key,
        entries=[(issuance_account(community.id), -points), (wallet_of(member), points)],
    )


def spend(community, member, points: int, *, to: LedgerAccount, reason, actor=None,
          cause=None, idempotency_key=None, kind="spend") -> LedgerTransaction:
    """Move ``points`` from ``member``'s wallet to ``to`` (the shop, a merchant's clearing
    account). Raises ``InsufficientPoints`` and writes nothing when the wallet is short."""
    if points <= 0:
        raise LedgerError("a spend is a positive number of points")
    return post(
        community, kind=kind, reason=reason, actor_id=actor, member_id=member.id, cause=cause,
        idempotency_key=idempotency_key,
        entries=[(wallet_of(member), -points), (to, points)],
    )


def reverse(community, original: LedgerTransaction, *, reason, actor=None,
            idempotency_key=None, kind="reversal") -> LedgerTransaction:
    """The mirror image of ``original``. A transaction is reversed at most once; reversing
    an award the member has already spent fails with ``InsufficientPoints``."""
    if original.reverses_id is not None:
        raise LedgerError("a reversal is not reversed; post a new transaction")
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
    return post(
        community, kind=kind, reason=reason, actor_id=actor, member_id=original.member_id,
        cause=Cause("transaction", original.id), idempotency_key=idempotency_key,
        reverses=original, entries=[(accounts[p.account_id], -p.amount) for p in postings],
    )


def refund(community, member, points: int, *, source: LedgerAccount, reason, actor=None,
           cause=None, idempotency_key=None) -> LedgerTransaction:
    """Give points back from ``source`` (the shop, a merchant's account) to the wallet."""
    return post(
        community, kind="refund", reason=reason, actor_id=actor, member_id=member.id,
        cause=cause, idempotency_key=idempotency_key,
        entries=[(source, -points), (wallet_of(member), points)],
    )


def expire_due(community, member, now=None, *, actor=None) -> LedgerTransaction | None:
    """Move the member's points that are past their expiry into the expired account.

    Points are spent oldest first, so what has expired by ``now`` is what was earned with an
    expiry before ``now`` less everything that has left the wallet so far (spends, earlier
    expiries, reversals): no lot bookkeeping, no posting ever updated.
    """
    from core.ledger.queries import expirable_points

    now = now or utcnow()
    due = expirable_points(member, now)
    if due <= 0:
        return None
    day = now.date().isoformat()
    return post(
        community, kind="expiry", reason="expiry", actor_id=actor, member_id=member.id,
        cause=Cause("expiry", day), idempotency_key=f"expiry:{member.id}:{day}",
        entries=[(wallet_of(member), -due), (expired_account(community.id), due)],
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
class _Ref:
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
    issuance_ref = _Ref(issuance.id)
    cause_type, cause_id = (cause.type, str(cause.id)) if cause else (None, None)
    result: dict[str, uuid.UUID] = {}
    todo, changed = [], {}
    for member_id, points, reason, key in rows:
        wallet_id = wallet_ids[member_id]
        fingerprint = _fingerprint(kind, [(issuance_ref, -points), (_Ref(wallet_id), points)], member_id, cause)
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
