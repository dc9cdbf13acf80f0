from sqlalchemy import select

from core.audit.models import AuditEvent
from core.extensions import db


def community_events(community_id, limit: int = 100) -> list[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(AuditEvent.community_id == community_id)
        .order_by(AuditEvent.created_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
