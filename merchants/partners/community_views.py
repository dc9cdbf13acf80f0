"""The community admin's page of partner merchants: applications, terms, suspension."""

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.extensions import db
from core.identity.models import Role
from core.web.community import ActionTile, community_blueprint, register_action, require_role
from merchants.errors import MarketError
from merchants.partners import actions
from merchants.partners.forms import InviteForm, TermsForm
from merchants.partners.models import Merchant, Partnership, PartnershipStatus, Side

bp = community_blueprint("community_partners", __name__, "/partners")


@register_action
def partner_tiles(actor):
    if not actor.can(Role.ADMIN):
        return []
    return [ActionTile(_("Partner merchants"), url_for("community_partners.index"), order=80)]


def _forms(currency):
    invite = InviteForm(prefix="invite")
    terms = TermsForm(prefix="terms")
    for form in (invite, terms):
        form.point_value.currency = currency
        form.monthly_cap.currency = currency
    return invite, terms


def _rows():
    return db.session.execute(
        select(Partnership, Merchant).join(Merchant, Merchant.id == Partnership.merchant_id)
        .order_by(Partnership.status, Merchant.name)).all()


def _render(invite, terms, status=200, error=None, focus=None):
    return render_template("merchants/community_partners.html", rows=_rows(), invite=invite,
                           terms=terms, error=error, focus=focus, Status=PartnershipStatus,
                           Side=Side), status


@bp.get("/")
def index():
    require_role(Role.ADMIN)
    invite, terms = _forms(g.community.currency)
    return _render(invite, terms)


@bp.post("/invite")
def invite():
    require_role(Role.ADMIN)
    invite, terms = _forms(g.community.currency)
    if not invite.validate_on_submit():
        return _render(invite, terms, 422)
    merchant = db.session.scalar(select(Merchant).where(Merchant.slug == invite.merchant.data.strip()))
    if merchant is None:
        invite.merchant.errors.append(_("No merchant has this short name."))
        return _render(invite, terms, 422)
    try:
        actions.do_invite(g.actor, merchant, invite.point_value.minor(), invite.monthly_cap.minor())
    except MarketError as exc:
        return _render(invite, terms, exc.status, exc.message)
    flash(_("%(name)s was invited.", name=merchant.name), "success")
    return redirect(url_for("community_partners.index"))


def _partnership(merchant_slug) -> Partnership:
    row = db.session.scalar(
        select(Partnership).join(Merchant, Merchant.id == Partnership.merchant_id)
        .where(Merchant.slug == str(merchant_slug)[:40]))
    if row is None:
        abort(404)
    return row


@bp.post("/<merchant>/terms")
def set_terms(merchant):
    """Approve an application with terms, or change an active partnership's terms."""
    require_role(Role.ADMIN)
    row = _partnership(merchant)
    invite, terms = _forms(g.community.currency)
    if not terms.validate_on_submit():
        return _render(invite, terms, 422, focus=row.id)
    try:
        if row.status in (PartnershipStatus.ACTIVE, PartnershipStatus.SUSPENDED):
            actions.do_set_terms(g.actor, row, terms.point_value.minor(), terms.monthly_cap.minor())
        else:
            actions.do_partner(g.actor, row.merchant, terms.point_value.minor(), terms.monthly_cap.minor())
    except MarketError as exc:
        return _render(invite, terms, exc.status, exc.message, focus=row.id)
    flash(_("Saved."), "success")
    return redirect(url_for("community_partners.index"))


def step(merchant, step):
    require_role(Role.ADMIN)
    row = _partnership(merchant)
    try:
        if step == "suspend":
            actions.do_suspend(Side.COMMUNITY, current_user, row)
        elif step == "resume":
            actions.do_resume(Side.COMMUNITY, current_user, row)
        else:
            actions.do_decline(g.actor, row)
    except MarketError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Done."), "success")
    return redirect(url_for("community_partners.index"))


for _step in ("suspend", "resume", "decline"):
    bp.add_url_rule(f"/<merchant>/{_step}", f"step_{_step}", methods=["POST"],
                    view_func=lambda merchant, _s=_step: step(merchant, _s))
