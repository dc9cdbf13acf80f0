"""The onboarding wizard for district admins (/d/<district>/onboard/...), the district's
template pages (/d/<district>/templates/...), and the page a grid worker's invitation link
opens (/join/<community>/<token>).

Every page resolves the district for the signed-in user first (another district, or none:
404), then the community inside that district (a community of another district: 404), and
scopes the request to that community before reading anything of it.
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from core.districts.actions import do_create_community
from core.districts.forms import CommunityForm
from core.exports.xlsx import download, xlsx_response
from core.extensions import db
from core.identity.actions import IdentityError
from core.identity.models import Role
from core.tenancy.access import Actor, community_by_slug, district_for
from core.tenancy.context import TenantScope, set_scope
from core.types import utcnow
from core.web.tenant_pages import tenant_blueprint
from tenants.onboarding import actions, queries, residents
from tenants.onboarding.forms import (
    InvitationsForm,
    JoinForm,
    NewShelfItemForm,
    RowForm,
    ShelfRowForm,
    ShopTemplateForm,
    UploadForm,
)


def _enter_district(slug, user):
    g.district = district_for(slug, user)


bp = tenant_blueprint("onboarding", __name__, path="d", argument="district", enter=_enter_district)
join_bp = Blueprint("join", __name__)

STEPS = (
    ("onboarding.overview", "Checklist"),
    ("onboarding.rules", "Rules"),
    ("onboarding.shop", "Shop"),
    ("onboarding.invitations", "Grid workers"),
    ("onboarding.residents", "Residents"),
)


def _community(slug):
    """A community of this district, with the request scoped to it; else 404."""
    community = community_by_slug(slug)
    if community is None or community.district_id != g.district.id:
        abort(404)
    set_scope(TenantScope(community_id=community.id))
    g.community = community
    g.actor = Actor(current_user._get_current_object(), community, None, Role.ADMIN)
    return community


def _steps(community, current):
    return [{"label": _(label), "url": _step_url(endpoint, community), "current": endpoint == current}
            for endpoint, label in STEPS if _step_url(endpoint, community)]


def _step_url(endpoint, community):
    from werkzeug.routing import BuildError

    try:
        return url_for(endpoint, community=community.slug)
    except BuildError:
        return None


def _render(template, community, step, status=200, **context):
    return render_template(template, district=g.district, community=community,
                           steps=_steps(community, step), **context), status


# --- the district's onboarding page and step 1 ---------------------------------------------------


@bp.get("/onboard/")
def index():
    from tenants.reports.access import district_communities

    communities = district_communities(g.district)
    lists = [(c, queries.checklist(c, g.district)) for c in communities]
    return render_template("tenants/onboarding/index.html", district=g.district, lists=lists)


@bp.route("/onboard/new", methods=["GET", "POST"])
def new():
    form = CommunityForm()
    status = 200
    if form.validate_on_submit():
        try:
            community = do_create_community(
                g.district, slug=form.slug.data, name=form.name.data.strip(), timezone=form.timezone.data,
                admin={"login": form.admin_login.data, "password": form.admin_password.data,
                       "name": form.admin_name.data.strip()},
                actor=current_user,
            )
        except IdentityError as exc:
            field = form.admin_login if exc.code == "login_taken" else form.slug
            field.errors.append(_("This is already taken."))
            status = 409
        else:
            flash(_("%(name)s is created, with the district's rules and shop items. Review them next.",
                    name=community.name), "success")
            return redirect(url_for("onboarding.overview", community=community.slug), 303)
    elif form.is_submitted():
        status = 422
    return render_template("tenants/onboarding/new.html", district=g.district, form=form), status


@bp.get("/onboard/<community>/")
def overview(community):
    community = _community(community)
    from sqlalchemy import select

    from core.identity.models import Member

    admins = list(db.session.scalars(select(Member).where(
        Member.community_id == community.id, Member.role == Role.ADMIN).order_by(Member.number)))
    return _render("tenants/onboarding/overview.html", community, "onboarding.overview",
                   checklist=queries.checklist(community, g.district), admins=admins)


@bp.post("/onboard/<community>/reviewed/<step>")
def reviewed(community, step):
    community = _community(community)
    if step not in actions.REVIEW_STEPS:
        abort(404)
    done = request.form.get("reviewed", "1") == "1"
    actions.do_mark_reviewed(community, step, actor=current_user, reviewed=done)
    flash(_("Noted on the checklist."), "success")
    return redirect(url_for("onboarding.overview", community=community.slug), 303)


# --- the shelf ------------------------------------------------------------------------------------


@bp.get("/onboard/<community>/shop")
def shop(community, new_form=None, status=200):
    community = _community(community)
    from tenants.shop.queries import items

    shelf = items(active_only=False)
    forms = {item.id: ShelfRowForm(prefix=f"i{item.id.hex[:12]}", formdata=None, obj=item) for item in shelf}
    return _render("tenants/onboarding/shop.html", community, "onboarding.shop", status,
                   shelf=shelf, forms=forms, new_form=new_form or NewShelfItemForm(prefix="new"),
                   reviewed=queries.reviewed_at(community, "shop"))


@bp.post("/onboard/<community>/shop/<item_id>")
def shop_item(community, item_id):
    community_row = _community(community)
    from tenants.shop import actions as shop_actions
    from tenants.shop.errors import ShopError
    from tenants.shop.queries import item_by_id

    item = item_by_id(item_id)
    if item is None:
        abort(404)
    form = ShelfRowForm(prefix=f"i{item.id.hex[:12]}")
    if not form.validate_on_submit():
        flash(_("%(item)s: %(problem)s", item=item.name, problem=_first_error(form)), "error")
        return redirect(url_for("onboarding.shop", community=community_row.slug), 303)
    shop_actions.do_update_item(item, actor=current_user, points=form.points.data, active=form.active.data)
    delta = form.stock.data - item.stock
    if delta:
        try:
            shop_actions.do_restock(item, delta, actor=current_user, note="onboarding")
        except ShopError:
            flash(_("%(item)s: the stock changed meanwhile; look again.", item=item.name), "error")
            return redirect(url_for("onboarding.shop", community=community_row.slug), 303)
    flash(_("%(item)s saved.", item=item.name), "success")
    return redirect(url_for("onboarding.shop", community=community_row.slug) + f"#item-{item.id}", 303)


@bp.post("/onboard/<community>/shop/new")
def shop_new(community):
    community_row = _community(community)
    from tenants.shop.actions import do_create_item

    form = NewShelfItemForm(prefix="new")
    if not form.validate_on_submit():
        return shop(community, new_form=form, status=422)
    do_create_item(community_row, name=form.name.data, category=form.category.data or "",
                   points=form.points.data, stock=form.stock.data, actor=current_user)
    flash(_("%(item)s is on the shelf.", item=form.name.data.strip()), "success")
    return redirect(url_for("onboarding.shop", community=community_row.slug), 303)


def _first_error(form) -> str:
    for field in form:
        for error in field.errors:
            return f"{field.label.text}: {error}"
    return _("Please check the form.")


# --- grid workers' invitations ---------------------------------------------------------------------


@bp.route("/onboard/<community>/invitations", methods=["GET", "POST"])
def invitations(community):
    community = _community(community)
    form = InvitationsForm()
    created, status = [], 200
    if form.validate_on_submit():
        labels = form.label_list()
        if len(labels) > 50:
            form.labels.errors.append(_("At most 50 at a time."))
            status = 422
        else:
            pairs = actions.do_create_invitations(community, actor=current_user, labels=labels,
                                                  days=form.days.data)
            created = [(inv, url_for("join.join", community=community.slug, token=token, _external=True))
                       for inv, token in pairs]
            form = InvitationsForm(formdata=None)
    elif form.is_submitted():
        status = 422
    return _render("tenants/onboarding/invitations.html", community, "onboarding.invitations", status,
                   form=form, created=created, invitations=queries.invitations(community.id), now=utcnow())


@bp.get("/onboard/<community>/invitations.xlsx")
def invitations_xlsx(community):
    community = _community(community)
    now = utcnow()
    states = {"open": _("Not used yet"), "used": _("Used"), "expired": _("Expired"), "revoked": _("Withdrawn")}
    rows = [[inv.label, inv.created_at.isoformat(timespec="minutes"), inv.expires_at.isoformat(timespec="minutes"),
             states[inv.state(now)]] for inv in queries.invitations(community.id)]
    return xlsx_response(f"{community.name}-{_('invitations')}.xlsx", [(
        _("Invitations"), [_("For"), _("Made"), _("Expires"), _("Status")], rows)])


@bp.post("/onboard/<community>/invitations/<invitation_id>/revoke")
def revoke_invitation(community, invitation_id):
    community = _community(community)
    invitation = queries.invitation(community.id, invitation_id)
    if invitation is None:
        abort(404)
    actions.do_revoke_invitation(invitation, actor=current_user)
    flash(_("The link no longer works."), "success")
    return redirect(url_for("onboarding.invitations", community=community.slug), 303)


@join_bp.route("/join/<community>/<token>", methods=["GET", "POST"])
def join(community, token):
    """Whoever opens a grid worker's link first sets a login and password and joins."""
    place = community_by_slug(community)
    invitation = actions.invitation_for_token(place, token) if place else None
    if invitation is None:
        abort(404)
    if current_user.is_authenticated:
        return render_template("tenants/onboarding/join_signed_in.html", community=place), 409
    form = JoinForm()
    status = 200
    if form.validate_on_submit():
        try:
            user, _member = actions.do_accept_invitation(
                place, invitation, login=form.login.data, password=form.password.data,
                name=form.name.data.strip())
        except IdentityError:
            form.login.errors.append(_("This user name is taken. Choose another."))
            status = 409
        except actions.OnboardingError:
            abort(404)  # used by someone else a moment ago
        else:
            login_user(user)
            flash(_("Welcome to %(community)s. You are a grid worker here.", community=place.name), "success")
            return redirect(url_for("community.home", community=place.slug), 303)
    elif form.is_submitted():
        status = 422
    return render_template("tenants/onboarding/join.html", community=place, invitation=invitation,
                           form=form), status


# --- residents --------------------------------------------------------------------------------------


@bp.get("/onboard/template.xlsx")
def template_xlsx():
    return xlsx_response(_("residents-template") + ".xlsx",
                         [(_("Residents"), residents.TEMPLATE_HEADINGS,
                           [list(r) for r in residents.TEMPLATE_EXAMPLES])])


@bp.get("/onboard/template.csv")
def template_csv():
    return download(residents.template_csv(), _("residents-template") + ".csv", "text/csv; charset=utf-8")


@bp.route("/onboard/<community>/residents", methods=["GET", "POST"], endpoint="residents")
def residents_page(community):
    community = _community(community)
    form = UploadForm()
    status, problem = 200, None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(8 * 1024 * 1024 + 1)
        try:
            batch = actions.do_upload_residents(community, actor=current_user,
                                                filename=upload.filename or "", data=data)
        except residents.FileProblem as exc:
            problem, status = str(exc.message), 422
        else:
            return redirect(url_for("onboarding.batch", community=community.slug, batch_id=batch.id), 303)
    elif form.is_submitted():
        status = 422
    return _render("tenants/onboarding/residents.html", community, "onboarding.residents", status,
                   form=form, problem=problem, batches=queries.batches(community.id))


def _batch(community, batch_id):
    batch = queries.batch(community.id, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.get("/onboard/<community>/residents/<batch_id>")
def batch(community, batch_id):
    community = _community(community)
    batch = _batch(community, batch_id)
    # Checked again (members may have joined since the upload); a page only looks, so the
    # fresh result is shown and never committed.
    rows = actions.recheck(batch, community)
    show = request.args.get("show", "problems")
    if show not in ("problems", "clean", "all", "imported", "skipped"):
        show = "problems"
    counts = queries.batch_counts(rows)
    if show == "problems" and counts["problems"] == 0:
        show = "all"
    shown = [r for r in rows if _shows(r, show)]
    return _render("tenants/onboarding/batch.html", community, "onboarding.residents",
                   batch=batch, rows=shown, counts=counts, show=show, problem_text=residents.problem_text)


def _shows(row, show) -> bool:
    if show == "problems":
        return bool(row.problems) and not row.skip and row.member_id is None
    if show == "clean":
        return row.clean
    if show == "imported":
        return row.member_id is not None
    if show == "skipped":
        return row.skip and row.member_id is None
    return True


@bp.get("/onboard/<community>/residents/<batch_id>/report.xlsx")
def batch_report(community, batch_id):
    community = _community(community)
    batch = _batch(community, batch_id)
    rows = actions.recheck(batch, community)
    head = [_("Row"), _("Name"), _("Mobile phone"), _("Account kind"), _("Building"), _("Status"), _("Problems")]
    body = [[r.line, r.name, r.phone, r.kind_text, r.building, _row_status(r),
             "; ".join(residents.problem_text(p) for p in r.problems)] for r in rows]
    return xlsx_response(f"{batch.filename}-report.xlsx", [(_("Report"), head, body)])


def _row_status(row) -> str:
    if row.member_id is not None:
        return _("Imported")
    if row.skip:
        return _("Skipped")
    return _("Has problems") if row.problems else _("Ready")


@bp.route("/onboard/<community>/residents/<batch_id>/rows/<row_id>", methods=["GET", "POST"])
def fix_row(community, batch_id, row_id):
    community = _community(community)
    batch = _batch(community, batch_id)
    row = queries.row(batch, row_id)
    if row is None:
        abort(404)
    actions.recheck(batch, community)
    form = RowForm(obj=row)
    status = 200
    if form.validate_on_submit():
        try:
            actions.do_fix_row(batch, row, community, actor=current_user, name=form.name.data,
                               phone=form.phone.data, kind_text=form.kind_text.data,
                               building=form.building.data, distinct_person=form.distinct_person.data,
                               skip=form.skip.data)
        except actions.OnboardingError:
            abort(409)
        if row.problems and not row.skip:
            flash(_("Row %(line)d still has a problem: %(problem)s", line=row.line,
                    problem=residents.problem_text(row.problems[0])), "error")
            return redirect(url_for("onboarding.fix_row", community=community.slug, batch_id=batch.id,
                                    row_id=row.id), 303)
        flash(_("Row %(line)d is ready.", line=row.line) if not row.skip
              else _("Row %(line)d will not be imported.", line=row.line), "success")
        return redirect(url_for("onboarding.batch", community=community.slug, batch_id=batch.id), 303)
    elif form.is_submitted():
        status = 422
    return _render("tenants/onboarding/fix_row.html", community, "onboarding.residents", status,
                   batch=batch, row=row, form=form, problem_text=residents.problem_text)


@bp.post("/onboard/<community>/residents/<batch_id>/skip-problems")
def skip_problems(community, batch_id):
    community = _community(community)
    batch = _batch(community, batch_id)
    try:
        count = actions.do_skip_rows(batch, community, actor=current_user)
    except actions.OnboardingError:
        abort(409)
    flash(_("%(n)d rows with problems will not be imported.", n=count), "success")
    return redirect(url_for("onboarding.batch", community=community.slug, batch_id=batch.id), 303)


@bp.post("/onboard/<community>/residents/<batch_id>/import")
def import_batch(community, batch_id):
    community = _community(community)
    batch = _batch(community, batch_id)
    try:
        count = actions.do_import_clean_rows(batch, community, actor=current_user)
    except actions.OnboardingError:
        abort(409)
    if count:
        flash(_("%(n)d residents imported. Print their resident cards next.", n=count), "success")
    else:
        flash(_("No row is ready to import."), "error")
    return redirect(url_for("onboarding.batch", community=community.slug, batch_id=batch.id, show="all"), 303)


@bp.post("/onboard/<community>/residents/<batch_id>/discard")
def discard_batch(community, batch_id):
    community = _community(community)
    batch = _batch(community, batch_id)
    actions.do_discard_batch(batch, actor=current_user)
    flash(_("The file is put aside; residents already imported stay."), "success")
    return redirect(url_for("onboarding.residents", community=community.slug), 303)


# --- the district's templates -----------------------------------------------------------------------


@bp.route("/templates/shop", methods=["GET", "POST"])
def shop_templates():
    form = ShopTemplateForm(prefix="new")
    status = 200
    if form.validate_on_submit():
        try:
            actions.do_add_shop_template(g.district, actor=current_user, name=form.name.data,
                                         category=form.category.data, points=form.points.data,
                                         stock=form.stock.data)
        except actions.OnboardingError:
            form.name.errors.append(_("The district already has an item of this name."))
            status = 409
        else:
            flash(_("%(item)s added to the templates.", item=form.name.data.strip()), "success")
            return redirect(url_for("onboarding.shop_templates"), 303)
    elif form.is_submitted():
        status = 422
    templates = queries.shop_templates(g.district.id)
    forms = {t.id: ShopTemplateForm(prefix=f"t{t.id.hex[:12]}", formdata=None, obj=t) for t in templates}
    return render_template("tenants/onboarding/shop_templates.html", district=g.district, form=form,
                           templates=templates, forms=forms), status


@bp.get("/templates/shop.xlsx")
def shop_templates_xlsx():
    rows = [[t.name, t.category, t.points, t.stock] for t in queries.shop_templates(g.district.id)]
    return xlsx_response(f"{g.district.name}-{_('shop templates')}.xlsx", [(
        _("Shop item templates"), [_("Name"), _("Category"), _("Price in points"), _("Starting stock")], rows)])


@bp.post("/templates/shop/<shop_template_id>")
def shop_template(shop_template_id):
    template = queries.shop_template(g.district.id, shop_template_id)
    if template is None:
        abort(404)
    if request.form.get("delete") == "1":
        actions.do_delete_shop_template(template, actor=current_user)
        flash(_("%(item)s removed from the templates.", item=template.name), "success")
        return redirect(url_for("onboarding.shop_templates"), 303)
    form = ShopTemplateForm(prefix=f"t{template.id.hex[:12]}")
    if not form.validate_on_submit():
        flash(_("%(item)s: %(problem)s", item=template.name, problem=_first_error(form)), "error")
        return redirect(url_for("onboarding.shop_templates"), 303)
    try:
        actions.do_update_shop_template(template, actor=current_user, name=form.name.data,
                                        category=form.category.data, points=form.points.data,
                                        stock=form.stock.data)
    except actions.OnboardingError:
        flash(_("The district already has an item of this name."), "error")
    else:
        flash(_("%(item)s saved.", item=template.name), "success")
    return redirect(url_for("onboarding.shop_templates"), 303)
