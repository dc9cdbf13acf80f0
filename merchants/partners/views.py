"""Pages for merchant owners and staff under ``/m/<merchant>/``."""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from core.extensions import db
from core.identity.actions import IdentityError
from core.identity.models import User
from core.tenancy.access import community_by_slug
from core.tenancy.models import Community, District
from core.web.tenant_pages import tenant_blueprint
from merchants.errors import MarketError
from merchants.partners import actions
from merchants.partners.access import enter_merchant
from merchants.partners.forms import ApplyForm, ProfileForm, StaffForm
from merchants.partners.models import MerchantRole, MerchantUser, Partnership, Side


def merchant_blueprint(name: str, import_name: str, url_prefix: str = "", **kwargs) -> Blueprint:
    """Pages under ``/m/<merchant>``: the signed-in user must work there (else 404); views
    read ``g.merchant_actor`` and ``g.merchant``, and run in the merchant's tenant scope."""
    def enter(slug, user):
        g.merchant_actor = enter_merchant(slug, user)
        g.merchant = g.merchant_actor.merchant

    bp = tenant_blueprint(name, import_name, path="m", argument="merchant", enter=enter,
                          url_prefix=url_prefix, **kwargs)

    @bp.context_processor
    def _merchant_globals():
        return {"merchant": getattr(g, "merchant", None), "merchant_actor": getattr(g, "merchant_actor", None)}

    return bp


def require_owner() -> None:
    if not g.merchant_actor.is_owner:
        abort(403)


bp = merchant_blueprint("merchant", __name__)


@bp.get("/")
def home():
    return render_template("merchants/home.html", actor=g.merchant_actor)


@bp.get("/photo.jpg")
def photo():
    from merchants.partners.images import image_response

    return image_response(g.merchant.photo_id)


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    require_owner()
    form = ProfileForm(obj=g.merchant)
    status, error = 200, None
    if form.validate_on_submit():
        try:
            actions.do_update_profile(
                g.merchant_actor, **{k: getattr(form, k).data for k in actions.PROFILE_FIELDS})
            upload = form.photo.data
            if upload and getattr(upload, "filename", ""):
                actions.do_set_merchant_photo(g.merchant_actor, upload.read())
        except MarketError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("merchant.profile"))
    elif form.is_submitted():
        status = 422
    return render_template("merchants/profile.html", form=form, error=error), status


@bp.route("/staff", methods=["GET", "POST"])
def staff():
    require_owner()
    form = StaffForm()
    status = 200
    if form.validate_on_submit():
        try:
            actions.do_add_staff(g.merchant_actor, form.login.data, form.password.data, form.name.data)
        except IdentityError:
            form.login.errors.append(_("This login is already taken."))
            status = 409
        else:
            flash(_("%(name)s can now sign in and use the counter.", name=form.name.data), "success")
            return redirect(url_for("merchant.staff"))
    elif form.is_submitted():
        status = 422
    people = db.session.execute(
        select(User, MerchantUser.role).join(MerchantUser, MerchantUser.user_id == User.id)
        .where(MerchantUser.merchant_id == g.merchant.id).order_by(MerchantUser.role, User.name)).all()
    return render_template("merchants/staff.html", form=form, people=people, OWNER=MerchantRole.OWNER), status


@bp.post("/staff/<staff_id>/remove")
def remove_staff(staff_id):
    require_owner()
    from core.ids import parse_id

    try:
        actions.do_remove_staff(g.merchant_actor, parse_id(staff_id))
    except MarketError:
        abort(404)
    flash(_("Removed."), "success")
    return redirect(url_for("merchant.staff"))


def _apply_form(partnerships):
    taken = {p.community_id for p, _c in partnerships}
    form = ApplyForm()
    rows = db.session.execute(
        select(Community, District).join(District, District.id == Community.district_id)
        .order_by(District.name, Community.name)).all()
    form.community.choices = [SelectChoice(c.slug, f"{d.name} · {c.name}") for c, d in rows if c.id not in taken]
    return form


def _partnerships():
    return db.session.execute(
        select(Partnership, Community).join(Community, Community.id == Partnership.community_id)
        .order_by(Community.name)).all()


@bp.route("/partners", methods=["GET", "POST"])
def partners():
    require_owner()
    rows = _partnerships()
    form = _apply_form(rows)
    status, error = 200, None
    if form.validate_on_submit():
        community = community_by_slug(form.community.data)
        try:
            if community is None:
                abort(404)
            actions.do_apply(g.merchant_actor, community, form.message.data)
        except MarketError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("Your application was sent to %(name)s.", name=community.name), "success")
            return redirect(url_for("merchant.partners"))
    elif form.is_submitted():
        status = 422
    return render_template("merchants/partners.html", rows=rows, form=form, error=error), status


def partner_step(community, step):
    require_owner()
    target = community_by_slug(community)
    row = target and db.session.scalar(select(Partnership).where(Partnership.community_id == target.id))
    if row is None:
        abort(404)
    try:
        if step == "accept":
            actions.do_apply(g.merchant_actor, target)
        elif step == "suspend":
            actions.do_suspend(Side.MERCHANT, current_user, row)
        else:
            actions.do_resume(Side.MERCHANT, current_user, row)
    except MarketError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Done."), "success")
    return redirect(url_for("merchant.partners"))


for _step in ("accept", "suspend", "resume"):
    bp.add_url_rule(f"/partners/<community>/{_step}", f"partner_{_step}", methods=["POST"],
                    view_func=lambda community, _s=_step: partner_step(community, _s))
