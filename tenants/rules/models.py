"""Rules, the awards made under them, residents' claims, and the districts' rule templates.

- ``RuleTemplate`` (global, keyed by district): what a district hands its new communities.
- ``Rule`` (tenant): a community's own rule; used rules are retired, never deleted.
- ``RuleAward`` (tenant): one award under a rule to one member, pointing at its ledger
  transaction. Caps are counted here (the ledger knows points, not quantities).
- ``Claim`` (tenant): a resident's report of a deed, waiting for a grid worker's decision.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, CommunityScoped, GlobalModel
from core.identity.models import Member, User, enum_column
from core.types import UTCDateTime


class Unit(enum.StrEnum):
    EACH = "each"  # fixed points per deed
    HOUR = "hour"  # points per hour of service


class ClaimStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class RuleFields:
    """What a rule and a template have in common."""

    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(60), default="")
    points: Mapped[int] = mapped_column(Integer)
    unit: Mapped[Unit] = enum_column(Unit, default=Unit.EACH)
    needs_evidence: Mapped[bool] = mapped_column(Boolean, default=False)
    # A resident's claim under this rule waits for a grid worker (else it is awarded at once).
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=True)
    # Who may use it: residents claim it themselves; grid workers and admins award it.
    residents_may_claim: Mapped[bool] = mapped_column(Boolean, default=False)
    grid_workers_may_award: Mapped[bool] = mapped_column(Boolean, default=True)
    admins_may_award: Mapped[bool] = mapped_column(Boolean, default=True)
    # Caps per member, in the rule's unit (times for "each", hours for "hour"); None: no cap.
    cap_day: Mapped[int | None] = mapped_column(Integer)
    cap_month: Mapped[int | None] = mapped_column(Integer)
    cap_year: Mapped[int | None] = mapped_column(Integer)


RULE_CHECKS = (
    CheckConstraint("points > 0", name="points_positive"),
    CheckConstraint(
        "(cap_day IS NULL OR cap_day > 0) AND (cap_month IS NULL OR cap_month > 0)"
        " AND (cap_year IS NULL OR cap_year > 0)",
        name="caps_positive",
    ),
)


class RuleTemplate(RuleFields, GlobalModel, Base):
    __tablename__ = "rule_templates"
    __table_args__ = (UniqueConstraint("district_id", "code"), *RULE_CHECKS)

    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id"), index=True)


class Rule(RuleFields, CommunityScoped, Base):
    __tablename__ = "rules"
    __table_args__ = (UniqueConstraint("community_id", "code"), *RULE_CHECKS)

    active: Mapped[bool] = mapped_column(Boolean, default=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def awarded_by(self) -> list[str]:
        roles = []
        if self.residents_may_claim:
            roles.append("resident")
        if self.grid_workers_may_award:
            roles.append("grid_worker")
        if self.admins_may_award:
            roles.append("admin")
        return roles


class RuleAward(CommunityScoped, Base):
    __tablename__ = "rule_awards"
    __table_args__ = (
        ForeignKeyConstraint(["community_id", "rule_id"], ["rules.community_id", "rules.id"]),
        ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"]),
        ForeignKeyConstraint(
            ["community_id", "transaction_id"],
            ["ledger_transactions.community_id", "ledger_transactions.id"],
        ),
        # one award per ledger transaction: a replayed award never adds a second row
        UniqueConstraint("community_id", "transaction_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        # caps count a member's awards of a rule by when the deed was done
        Index("ix_rule_awards_cap", "community_id", "member_id", "rule_id", "earned_at"),
    )

    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    quantity: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    transaction_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    claim_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the user who awarded
    # When the deed was done (a claim's submission, else the award itself): caps count by
    # this, so approving last week's claims today does not fill today's cap.
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime)

    rule: Mapped[Rule] = relationship(viewonly=True)
    member: Mapped[Member] = relationship(viewonly=True)


class Claim(CommunityScoped, Base):
    __tablename__ = "rule_claims"
    __table_args__ = (
        ForeignKeyConstraint(["community_id", "rule_id"], ["rules.community_id", "rules.id"]),
        ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"]),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_rule_claims_queue", "community_id", "status", "created_at"),
        Index("ix_rule_claims_member", "community_id", "member_id", "created_at"),
        # an API retry with the same Idempotency-Key finds the claim it already made
        UniqueConstraint("community_id", "request_key"),
    )

    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(String(500))
    # A random file name under the community's upload folder (never the uploader's name).
    photo: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[ClaimStatus] = enum_column(ClaimStatus, default=ClaimStatus.PENDING)
    # The user who decided: a grid worker or admin of the community, or a district admin
    # (who has no member row), so a user id.
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(300))
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    points: Mapped[int | None] = mapped_column(Integer)
    request_key: Mapped[str | None] = mapped_column(String(80))

    rule: Mapped[Rule] = relationship(viewonly=True)
    member: Mapped[Member] = relationship(viewonly=True)
    decided_by: Mapped[User | None] = relationship(viewonly=True)
