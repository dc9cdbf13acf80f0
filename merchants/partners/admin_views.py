"""A merchant signs itself up (public page); platform and district admins approve it."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from sqlalchemy import select

from core.extensions import db
from core.identity.actions import IdentityError, find_user_by_login
from merchants.errors import MarketError
from merchants.partners import actions
from merchants.partners.forms import SignUpForm
from merchants.partners.models import Merchant, MerchantStatus

bp = Blueprint("merchant_admin", __name__, url_prefix="/merchants")


@bp.route("/join", methods=["GET", "POST"])
def join():
    form = SignUpForm()
    status = 200
    if form.validate_on_submit():
        try:
            merchant = actions.do_register_merchant(
                form.slug.data, form.name.data,
                {"login": form.owner_login.data, "password": form.owner_password.data,
                 "name": form.owner_name.data},
                category=form.category.data or None, address=form.address.data,
            )
        except IdentityError as exc:
            field = form.owner_login if exc.code == "login_taken" else form.slug
            field.errors.append(_("This is already taken."))
            status = 409
        else:
            login_user(find_user_by_login(form.owner_login.data))
            flash(_("Thank you. Your shop will be checked by the platform; you can fill in its profile meanwhile."), "success")
            return redirect(url_for("merchant.home", merchant=merchant.slug))
    elif form.is_submitted():
        status = 422
    return render_template("merchants/join.html", form=form), status


def _require_admin():
    from merchants.partners.api import may_admit_merchants

    if not may_admit_merchants(current_user):
        abort(404)


@bp.get("/review")
@login_required
def review():
    _require_admin()
    pending = db.session.scalars(
        select(Merchant).where(Merchant.status == MerchantStatus.PENDING).order_by(Merchant.created_at)).all()
    return render_template("merchants/review.html", pending=pending, merchants=_known_merchants())


def _known_merchants() -> list[Merchant]:
    """Every merchant for a platform admin; for a district admin, the partners of the
    district's communities (a district does not see who works with other districts)."""
    from core.identity.models import DistrictAdmin
    from core.tenancy.context import all_communities
    from core.tenancy.models import Community
    from merchants.partners.models import Partnership

    query = select(Merchant).where(Merchant.status == MerchantStatus.ACTIVE).order_by(Merchant.name)
    if not current_user.is_platform_admin:
        districts = select(DistrictAdmin.district_id).where(DistrictAdmin.user_id == current_user.id)
        partners = (select(Partnership.merchant_id)
                    .join(Community, Community.id == Partnership.community_id)
                    .where(Community.district_id.in_(districts)))
        query = query.where(Merchant.id.in_(partners))
    with all_communities():  # partnerships of every community of the admin's districts
        return list(db.session.scalars(query))


@bp.post("/review/<merchant>/approve")
@login_required
def approve(merchant):
    _require_admin()
    row = db.session.scalar(select(Merchant).where(Merchant.slug == str(merchant)[:40]))
    if row is None:
        abort(404)
    try:
        actions.do_approve_merchant(row, current_user)
    except MarketError as exc:
        flash(exc.message, "error")
    else:
        flash(_("%(name)s is approved.", name=row.name), "success")
    return redirect(url_for("merchant_admin.review"))
