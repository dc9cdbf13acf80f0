"""The long exports: every member of a community, or of a whole district, with their points.
They run in the background (``core.exports``), in batches of ``BATCH`` rows read by keyset."""

from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from core.exports.registry import ExportKind, register_export
from core.extensions import db
from core.identity.models import Member, User
from core.ledger.models import AccountKind, LedgerAccount
from core.tenancy.access import community_by_slug
from core.tenancy.context import all_communities
from core.tenancy.models import Community, District
from tenants.reports.access import community_for_admin, district_communities, district_of

BATCH = 2000


def _role_label(role) -> str:
    return {"resident": _("Resident"), "grid_worker": _("Grid worker"), "admin": _("Admin")}[role.value]


def _kind_label(kind) -> str:
    return {"red": _("Red"), "blue": _("Blue"), "green": _("Green")}[kind.value]


COLUMNS = lambda params: [  # noqa: E731
    _("Community"), _("Member number"), _("Name"), _("Phone"), _("Account kind"), _("Role"),
    _("Points balance"), _("Joined"),
]


def _member_batches(community_ids):
    """Members of these communities by (community, number), ``BATCH`` at a time."""
    names = dict(db.session.execute(
        select(Community.id, Community.name).where(Community.id.in_(community_ids))).all())
    after = None
    while True:
        with all_communities():
            query = (
                select(Member, User.phone, LedgerAccount.balance)
                .join(User, User.id == Member.user_id)
                .outerjoin(LedgerAccount, and_(LedgerAccount.community_id == Member.community_id,
                                               LedgerAccount.member_id == Member.id,
                                               LedgerAccount.kind == AccountKind.WALLET))
                .where(Member.community_id.in_(community_ids))
                .order_by(Member.community_id, Member.number).limit(BATCH)
            )
            if after is not None:
                query = query.where(
                    (Member.community_id > after[0])
                    | ((Member.community_id == after[0]) & (Member.number > after[1])))
            rows = db.session.execute(query).all()
        if not rows:
            return
        batch = [
            [names.get(m.community_id, ""), m.number, m.name, phone or "", _kind_label(m.account_kind),
             _role_label(m.role), int(balance or 0), m.created_at.date().isoformat() if m.created_at else ""]
            for m, phone, balance in rows
        ]
        # where to go on from, read now: after the yield the progress is committed and the
        # rows are expired (and outside any tenant scope, unreadable)
        after = (rows[-1][0].community_id, rows[-1][0].number)
        yield batch


def _count(community_ids) -> int:
    with all_communities():
        return db.session.scalar(
            select(func.count()).select_from(Member).where(Member.community_id.in_(community_ids)))


# --- a district ------------------------------------------------------------------------------


def _district_ids(params):
    district = db.session.scalar(select(District).where(District.slug == params.get("district")))
    return [c.id for c in district_communities(district)] if district else []


def _district_title(params):
    district = db.session.scalar(select(District).where(District.slug == params.get("district")))
    return _("Members of %(district)s", district=district.name if district else "")


district_members = ExportKind(
    name="district_members",
    title=_district_title,
    allowed=lambda user, params: district_of(user, params.get("district")) is not None,
    parse=lambda form: {"district": form.get("district", "")[:40]} if form.get("district") else None,
    columns=COLUMNS,
    count=lambda params: _count(_district_ids(params)),
    batches=lambda params: _member_batches(_district_ids(params)),
)


# --- a community -----------------------------------------------------------------------------


def _community_ids(params):
    community = community_by_slug(params.get("community"))
    return [community.id] if community else []


def _community_title(params):
    community = community_by_slug(params.get("community"))
    return _("Members of %(community)s", community=community.name if community else "")


community_members = ExportKind(
    name="community_members",
    title=_community_title,
    allowed=lambda user, params: community_for_admin(user, params.get("community")) is not None,
    parse=lambda form: {"community": form.get("community", "")[:40]} if form.get("community") else None,
    columns=COLUMNS,
    count=lambda params: _count(_community_ids(params)),
    batches=lambda params: _member_batches(_community_ids(params)),
)


def register() -> None:
    register_export(district_members)
    register_export(community_members)
