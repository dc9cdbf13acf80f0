from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.districts.actions import do_create_community, do_create_district
from core.districts.forms import CommunityForm, DistrictForm
from core.extensions import db
from core.identity.actions import IdentityError
from core.tenancy.access import NotFound, district_for
from core.tenancy.models import Community, District

bp = Blueprint("districts", __name__)

# Pages other capabilities add to a district's home (dashboard, onboarding, templates...):
# ``register_district_link(fn)``, ``fn(district) -> [(label, url)]``, from their init_app.
_district_links = []


def register_district_link(provider):
    if provider not in _district_links:
        _district_links.append(provider)
    return provider


def district_links(district) -> list[tuple[str, str]]:
    return [link for provider in _district_links for link in provider(district)]


@bp.route("/admin", methods=["GET", "POST"])
@login_required
def platform_home():
    if not current_user.is_platform_admin:
        abort(404)
    form = DistrictForm()
    status = 200
    if form.validate_on_submit():
        try:
            district = do_create_district(form.slug.data, form.name.data, current_user)
        except IdentityError:
            form.slug.errors.append(_("This short name is already taken."))
            status = 409
        else:
            flash(_("District %(name)s created.", name=district.name), "success")
            return redirect(url_for("districts.platform_home"))
    elif form.is_submitted():
        status = 422
    districts = db.session.scalars(select(District).order_by(District.name)).all()
    return render_template("core/platform_home.html", form=form, districts=districts), status


@bp.route("/d/<district>/", methods=["GET", "POST"])
@login_required
def district_home(district):
    try:
        district = district_for(district, current_user)
    except NotFound:
        abort(404)
    form = CommunityForm()
    status = 200
    if form.validate_on_submit():
        try:
            community = do_create_community(
                district, slug=form.slug.data, name=form.name.data, timezone=form.timezone.data,
                admin={"login": form.admin_login.data, "password": form.admin_password.data,
                       "name": form.admin_name.data},
                actor=current_user,
            )
        except IdentityError as exc:
            field = form.admin_login if exc.code == "login_taken" else form.slug
            field.errors.append(_("This is already taken."))
            status = 409
        else:
            flash(_("Community %(name)s created.", name=community.name), "success")
            return redirect(url_for("districts.district_home", district=district.slug))
    elif form.is_submitted():
        status = 422
    communities = db.session.scalars(
        select(Community).where(Community.district_id == district.id).order_by(Community.name)
    ).all()
    return render_template("core/district_home.html", district=district, form=form,
                           communities=communities, links=district_links(district)), status
