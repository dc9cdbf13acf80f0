import uuid

from sqlalchemy import JSON, Integer, String, UniqueConstraint, Uuid, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, GlobalModel
from core.extensions import db


class IdempotencyRecord(GlobalModel, Base):
    """The first response to a request with an Idempotency-Key, per user and route."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key", "scope"),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    key: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict] = mapped_column(JSON)


def lookup(user_id, key, scope) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.scope == scope,
        )
    )


def remember(user_id, key, scope, fingerprint, status, body) -> None:
    db.session.add(IdempotencyRecord(
        user_id=user_id, key=key, scope=scope, fingerprint=fingerprint, status=status, body=body,
    ))
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent retry stored it first; its reply stands
        db.session.rollback()
