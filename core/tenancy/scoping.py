"""Automatic tenant filtering of ORM statements (the second of three layers).

Every ORM SELECT, UPDATE and DELETE that touches a ``CommunityScoped`` entity gets
``community_id = <current community>`` added through ``with_loader_criteria`` (aliases and
joins included). A merchant scope additionally admits rows of ``MerchantVisible`` entities
that name that merchant. New rows take the current community, and a flush that would write a
row of another community is refused.

Known gaps, each backed by row-level security on PostgreSQL and by tests:
- ``session.get`` answered from the identity map runs no SQL: ``TenantSession.get`` checks the
  object it returns;
- ``text()`` SQL and Core statements on ``Table`` objects are not ORM statements: they are
  not filtered here (RLS filters them; a lint test keeps ``text(`` out of app code);
"""

import functools
import uuid

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Uuid, event, literal
from sqlalchemy.orm import Session, with_loader_criteria

from core.db import CommunityScoped, MerchantVisible
from core.tenancy.context import current_scope


class CrossTenantAccess(Exception):
    """A write or identity-map read reached a row of another tenant. A bug, never user error."""


# No community is ever this id: an unset scope filters to it and sees nothing.
NO_COMMUNITY = uuid.UUID(int=0)


def _merchant_clause(cls, merchant_id):
    if issubclass(cls, MerchantVisible):
        return cls.merchant_id == merchant_id
    return cls.community_id == NO_COMMUNITY


@functools.lru_cache(maxsize=4096)
def _scope_options(scope):
    # The lambdas have a fixed shape: SQLAlchemy caches their SQL and binds the closure
    # values (the ids) as parameters, so the branch is chosen out here, never inside.
    # One option object per scope (scopes are frozen, hence hashable; options immutable):
    # building it anew for every statement of every request costs more than the query.
    if scope.merchant_id is not None and scope.community_id is None:
        merchant_id = literal(scope.merchant_id, Uuid)
        return with_loader_criteria(
            CommunityScoped,
            lambda cls: _merchant_clause(cls, merchant_id),
            include_aliases=True,
        )
    community_id = scope.community_id or NO_COMMUNITY
    return with_loader_criteria(
        CommunityScoped, lambda cls: cls.community_id == community_id, include_aliases=True
    )


def row_visible(obj, scope=None) -> bool:
    scope = scope or current_scope()
    if scope.all_communities:
        return True
    if scope.community_id is not None and obj.community_id == scope.community_id:
        return True
    return bool(
        scope.merchant_id is not None
        and isinstance(obj, MerchantVisible)
        and obj.merchant_id == scope.merchant_id
    )


class TenantSession(FlaskSession):
    def get(self, entity, ident, **kwargs):
        obj = super().get(entity, ident, **kwargs)
        if obj is not None and isinstance(obj, CommunityScoped) and not row_visible(obj):
            return None
        return obj


@event.listens_for(Session, "do_orm_execute")
def _scope_orm_statements(state):
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria of the original statement propagate to these loads
    scope = current_scope()
    if scope.all_communities or state.execution_options.get("all_communities"):
        return
    state.statement = state.statement.options(_scope_options(scope))


@event.listens_for(Session, "before_flush")
def _stamp_and_check_community(session, flush_context, instances):
    scope = current_scope()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, CommunityScoped):
            continue
        if obj.community_id is None and obj in session.new:
            if scope.community_id is None:
                raise CrossTenantAccess(f"{type(obj).__name__} created with no community set")
            obj.community_id = scope.community_id
        if scope.all_communities:
            continue
        if obj.community_id != scope.community_id and not (
            obj in session.dirty and row_visible(obj, scope)
        ):
            raise CrossTenantAccess(
                f"{type(obj).__name__} of community {obj.community_id} written "
                f"while acting for {scope.community_id}"
            )
