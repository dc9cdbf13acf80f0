"""Reading onboarding state: the checklist, the invitations, the imports and their rows.
Tenant reads run in the community's scope (the views set it) and name the community too."""

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from core.extensions import db
from core.identity.models import Member, Role
from core.ids import parse_id
from core.tenancy.context import use_community
from core.types import utcnow
from tenants.onboarding import hooks
from tenants.onboarding.hooks import ChecklistItem
from tenants.onboarding.models import ImportBatch, ImportRow, Invitation, ShopItemTemplate


def reviewed_at(community, step: str):
    return ((community.settings or {}).get("onboarding") or {}).get(f"{step}_reviewed_at")


def shop_templates(district_id) -> list[ShopItemTemplate]:
    return list(db.session.scalars(select(ShopItemTemplate).where(
        ShopItemTemplate.district_id == district_id).order_by(ShopItemTemplate.category, ShopItemTemplate.name)))


def shop_template(district_id, template_id) -> ShopItemTemplate | None:
    template_id = parse_id(template_id)
    return template_id and db.session.scalar(select(ShopItemTemplate).where(
        ShopItemTemplate.district_id == district_id, ShopItemTemplate.id == template_id))


def invitations(community_id) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where(
        Invitation.community_id == community_id).order_by(Invitation.created_at.desc())))


def invitation(community_id, invitation_id) -> Invitation | None:
    invitation_id = parse_id(invitation_id)
    return invitation_id and db.session.scalar(select(Invitation).where(
        Invitation.community_id == community_id, Invitation.id == invitation_id))


def batches(community_id) -> list[ImportBatch]:
    return list(db.session.scalars(select(ImportBatch).where(
        ImportBatch.community_id == community_id).order_by(ImportBatch.created_at.desc())))


def batch(community_id, batch_id) -> ImportBatch | None:
    batch_id = parse_id(batch_id)
    return batch_id and db.session.scalar(select(ImportBatch).where(
        ImportBatch.community_id == community_id, ImportBatch.id == batch_id))


def row(batch, row_id) -> ImportRow | None:
    row_id = parse_id(row_id)
    return row_id and db.session.scalar(select(ImportRow).where(
        ImportRow.community_id == batch.community_id, ImportRow.batch_id == batch.id,
        ImportRow.id == row_id))


def rows(batch) -> list[ImportRow]:
    return list(db.session.scalars(select(ImportRow).where(
        ImportRow.community_id == batch.community_id, ImportRow.batch_id == batch.id
    ).order_by(ImportRow.line)))


def batch_counts(rows_) -> dict:
    return {
        "total": len(rows_),
        "clean": sum(1 for r in rows_ if r.clean),
        "problems": sum(1 for r in rows_ if r.problems and not r.skip and r.member_id is None),
        "skipped": sum(1 for r in rows_ if r.skip and r.member_id is None),
        "imported": sum(1 for r in rows_ if r.member_id is not None),
    }


def _shelf_counts(community_id):
    from tenants.shop.models import ShopItem

    row_ = db.session.execute(select(
        func.count(), func.coalesce(func.sum((ShopItem.stock > 0).cast(db.Integer)), 0),
    ).where(ShopItem.community_id == community_id, ShopItem.active.is_(True))).one()
    return int(row_[0]), int(row_[1])


def checklist(community, district) -> list[ChecklistItem]:
    """What is left to do before the community runs on its own."""
    with use_community(community.id):
        items = []
        rules_done = reviewed_at(community, "rules")
        rule_count = hooks_count("rules", community)
        items.append(ChecklistItem(
            "rules", _("Rules reviewed"), bool(rules_done),
            _("%(n)d rules", n=rule_count) if rule_count is not None else _("Rules are not set up yet."),
            _url("onboarding.rules", district, community), 10))
        listed, stocked = _shelf_counts(community.id)
        items.append(ChecklistItem(
            "shop", _("Shop stocked"), bool(reviewed_at(community, "shop")) and stocked > 0,
            _("%(listed)d items on the shelf, %(stocked)d in stock", listed=listed, stocked=stocked),
            _url("onboarding.shop", district, community), 20))
        invites = invitations(community.id)
        used = sum(1 for i in invites if i.used_at is not None)
        workers = db.session.scalar(select(func.count()).select_from(Member).where(
            Member.community_id == community.id, Member.role == Role.GRID_WORKER, Member.active.is_(True)))
        items.append(ChecklistItem(
            "grid_workers", _("Grid workers invited"), bool(invites) or workers > 0,
            _("%(links)d links, %(used)d used; %(workers)d grid workers", links=len(invites), used=used,
              workers=workers),
            _url("onboarding.invitations", district, community), 30))
        residents = db.session.scalar(select(func.count()).select_from(Member).where(
            Member.community_id == community.id, Member.role == Role.RESIDENT, Member.active.is_(True)))
        items.append(ChecklistItem(
            "residents", _("Residents imported"), residents > 0, _("%(n)d residents", n=residents),
            _url("onboarding.residents", district, community), 40))
        items += hooks.extra_checklist(community)
    return sorted(items, key=lambda i: i.order)


def hooks_count(what, community):
    """How many rules the community has, when the rules capability is installed."""
    counter = _counters.get(what)
    return counter(community) if counter else None


_counters = {}


def register_counter(what, fn) -> None:
    _counters[what] = fn


def _url(endpoint, district, community):
    try:
        return url_for(endpoint, district=district.slug, community=community.slug)
    except BuildError:  # a step whose capability is not installed
        return None


def open_invitations(community_id) -> int:
    now = utcnow()
    return sum(1 for i in invitations(community_id) if i.state(now) == "open")
