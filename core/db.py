"""The declarative base and the mixins every table is built from.

Two kinds of table:
- global tables (users, districts, communities, merchants): ``GlobalModel``;
- tenant tables (everything a community owns): ``CommunityScoped``. Their primary key is
  ``(community_id, id)``, and every foreign key to another tenant table and every unique
  constraint includes ``community_id``, so the database itself refuses a row that points into
  another community. ``tests/core/test_schema.py`` walks the metadata and enforces this.
"""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from core.ids import new_id
from core.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GlobalModel(Timestamped):
    """A row shared across tenants, with a single-column id."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)


class CommunityScoped(Timestamped):
    """A row owned by one community.

    Reads and writes through the ORM are filtered to the current community automatically
    (``core.tenancy.scoping``); on PostgreSQL row-level security backs that up.
    """

    __tenant_table__ = True

    @declared_attr
    def community_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid, ForeignKey("communities.id"), primary_key=True, index=True
        )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)


class MerchantVisible:
    """A tenant row a merchant may also see: it carries the merchant's id.

    Row-level security admits such a row to the community that owns it and to the merchant
    named in ``merchant_id`` (vouchers, redemptions, statements).
    """

    __merchant_visible__ = True


def tenant_classes() -> list[type]:
    return [m.class_ for m in Base.registry.mappers if issubclass(m.class_, CommunityScoped)]


def tenant_tables() -> list:
    """The tables that belong to a community, in dependency order."""
    names = {cls.__table__.name for cls in tenant_classes()}
    return [t for t in Base.metadata.sorted_tables if t.name in names]


def merchant_visible_tables() -> list:
    return [
        cls.__table__
        for cls in tenant_classes()
        if getattr(cls, "__merchant_visible__", False)
    ]
