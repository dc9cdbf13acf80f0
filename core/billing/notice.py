"""The past-due banner (``billing_notice()`` in templates/base.html): shown to the admins of a
community or district whose subscription is past_due or unpaid, on their own pages only."""

from flask import g, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.billing.models import PayerKind
from core.billing.queries import billing_enabled, current_subscription
from core.extensions import db
from core.identity.models import Role
from core.tenancy.access import administers_district
from core.tenancy.models import District


def billing_notice() -> dict | None:
    if "billing_notice" not in g:
        g.billing_notice = _notice()
    return g.billing_notice


def _notice() -> dict | None:
    if not current_user.is_authenticated or not billing_enabled():
        return None
    actor, community = g.get("actor"), g.get("community")
    if community is not None and actor is not None and actor.can(Role.ADMIN):
        found = current_subscription(PayerKind.COMMUNITY, community.id)
        page = url_for("community_billing.community_billing", community=community.slug)
    else:
        slug = (request.view_args or {}).get("district")
        district = isinstance(slug, str) and db.session.scalar(select(District).where(District.slug == slug))
        if not district or not administers_district(current_user, district.id):
            return None
        found = current_subscription(PayerKind.DISTRICT, district.id)
        page = url_for("district_billing.district_billing", district=district.slug)
    if found is None or not found.is_overdue:
        return None
    return {"page": page, "invoice_url": found.invoice_url}
