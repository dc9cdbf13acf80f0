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
    merchants = db.session.scalars(select(Merchant).order_by(Merchant.status.desc(), Merchant.name)).all()
    pending = [m for m in merchants if m.status == MerchantStatus.PENDING]
    return render_template("merchants/review.html", pending=pending, merchants=merchants)


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
