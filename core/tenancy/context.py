"""Which community (or merchant) the current unit of work acts for.

The request sets it from the URL (``/c/<community>/``) once the actor's membership has been
checked; a Celery task sets it from its ``community_id`` argument. ORM queries are filtered
by it (``scoping.py``), and on PostgreSQL it is handed to row-level security per transaction
(``rls.py``). An unset community sees no tenant rows at all.

Reading across communities (a district's figures, closing a month) is explicit:
``with all_communities(): ...``.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class TenantScope:
    community_id: uuid.UUID | None = None
    merchant_id: uuid.UUID | None = None
    all_communities: bool = False


# TenantScope is frozen, so sharing one default instance is safe
_scope: ContextVar[TenantScope] = ContextVar("linli_tenant_scope", default=TenantScope())  # noqa: B039
_listeners = []


def current_scope() -> TenantScope:
    return _scope.get()


def current_community_id() -> uuid.UUID | None:
    return _scope.get().community_id


def on_scope_change(callback):
    """Register ``callback(scope)``, run whenever the scope changes (used by RLS)."""
    _listeners.append(callback)
    return callback


def _set(scope: TenantScope):
    # Entering the scope already in force (nested ``all_communities()`` in a district's
    # figures) changes nothing: the listeners (RLS settings, one query each) are not told.
    unchanged = _scope.get() == scope
    token = _scope.set(scope)
    if not unchanged:
        for callback in _listeners:
            callback(scope)
    return token, unchanged


def _reset(token):
    token, unchanged = token
    _scope.reset(token)
    if not unchanged:
        for callback in _listeners:
            callback(_scope.get())


def set_scope(scope: TenantScope) -> None:
    """Set the scope for the rest of this context (a request, a task)."""
    _set(scope)


@contextmanager
def scoped(scope: TenantScope) -> Iterator[TenantScope]:
    token = _set(scope)
    try:
        yield scope
    finally:
        _reset(token)


@contextmanager
def use_community(community_id: uuid.UUID | None) -> Iterator[TenantScope]:
    with scoped(TenantScope(community_id=community_id)) as scope:
        yield scope


@contextmanager
def use_merchant(merchant_id: uuid.UUID | None) -> Iterator[TenantScope]:
    with scoped(TenantScope(merchant_id=merchant_id)) as scope:
        yield scope


@contextmanager
def all_communities() -> Iterator[TenantScope]:
    """Read or write across every community: platform jobs and district figures only."""
    with scoped(replace(_scope.get(), all_communities=True)) as scope:
        yield scope
