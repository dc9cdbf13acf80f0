"""ORM objects from rows read with Core statements, for the hot paths.

An ORM query costs several times the SQL it sends (statement options, the tenant filter's
cache key, the loading machinery); a Core select on the session's connection does not. The
few paths that run on every request or every ledger posting (the API token, the merchant,
the voucher at the counter, the ledger's accounts and transactions) read rows with Core and
turn them into the session's objects here, exactly as the ORM does when it loads a row:
values straight into the instance's state, no constructor, no change events. The objects
then behave as loaded ones (lazy loads, refresh, changes flushed as UPDATEs).

Core statements skip the ORM's tenant filter (core.tenancy.scoping): a tenant row must be
visible in the current scope, as ``TenantSession.get`` checks, or it is refused here.
"""

import functools

from sqlalchemy.orm import configure_mappers, make_transient_to_detached

from core.db import CommunityScoped
from core.extensions import db
from core.tenancy.scoping import CrossTenantAccess, row_visible


def as_loaded(model, values):
    """The row in ``values`` (a mapping of column keys to values; other keys, such as a joined
    table's labelled columns, are left out) as the session's persistent object; the one the
    session already holds for that row, if any. Columns ``values`` lacks (the primary key
    it must have) stay unloaded and are read on first use, as with ``load_only``."""
    session = db.session()
    mapper, primary_key, columns, scoped = _shape(model)
    held = session.identity_map.get(mapper.identity_key_from_primary_key([values[k] for k in primary_key]))
    if held is not None:
        obj = held
    else:
        obj = mapper.class_manager.new_instance()
        obj.__dict__.update({k: values[k] for k in columns if k in values})
        make_transient_to_detached(obj)
        session.add(obj)
    if scoped and not row_visible(obj):
        raise CrossTenantAccess(f"{model.__name__} of community {obj.community_id} read outside its scope")
    return obj


@functools.cache
def _shape(model):
    """The model's mapper, primary key and column keys, and whether it is a tenant's (worked
    out once: the hot paths call as_loaded on every request)."""
    mapper = model.__mapper__
    if not mapper.configured:  # the process's first ORM use may be this one
        configure_mappers()
    return (mapper, tuple(c.key for c in mapper.primary_key), tuple(c.key for c in model.__table__.c),
            issubclass(model, CommunityScoped))
