"""Pages for claims (自主申报): a resident files one and follows it; staff work the queue."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import RequestEntityTooLarge

from core.identity.models import Role
from core.tenancy.access import NotFound
from core.web.community import community_blueprint, require_role
from tenants.rules import claim_actions, photos, queries
from tenants.rules.access import access_claim
from tenants.rules.api import photo_response
from tenants.rules.errors import RulesError, cap_head, hit_lines, message, status_of
from tenants.rules.forms import ClaimForm, DecisionForm, rule_choices
from tenants.rules.models import ClaimStatus
from tenants.rules.views import field_error, rule_label

bp = community_blueprint("claims", __name__, "/claims")


def _claim(claim_id):
    try:
        return access_claim(g.actor, claim_id)
    except NotFound:
        abort(404)


def _claim_form(**kwargs) -> ClaimForm:
    form = ClaimForm(**kwargs)
    rules = queries.rules(g.community.id, claimable=True)
    form.rule.choices = rule_choices(rules, rule_label, _("Choose what you did"))
    form.rules = rules
    return form


@bp.get("/")
def mine():
    if g.actor.member is None:
        abort(404)
    items = queries.claims(g.community.id, member_id=g.actor.member.id, limit=100)
    return render_template("tenants/rules/my_claims.html", claims=items)


@bp.route("/new", methods=["GET", "POST"])
def new():
    if g.actor.member is None:
        abort(404)
    form = _claim_form()
    error, status = None, 200
    if form.validate_on_submit():
        rule = queries.rule_by_code(g.community.id, form.rule.data)
        try:
            photo = None
            upload = form.photo.data
            if upload and getattr(upload, "filename", ""):
                photo = photos.reencode(photos.read_limited(upload.stream))
            claim = claim_actions.do_submit_claim(
                g.actor, rule, form.quantity.data, form.note.data, photo=photo)
        except RulesError as exc:
            error, status = field_error(form, exc), status_of(exc)
            if exc.hits:
                error = message(exc)  # one person: the sentence names the limit
        else:
            if claim.status == ClaimStatus.APPROVED:
                flash(_("Thank you! %(points)d points have been added.", points=claim.points), "success")
            else:
                flash(_("Thank you! Staff will look at your claim soon."), "success")
            return redirect(url_for("claims.mine"))
    elif form.is_submitted():
        status = 422
    return render_template("tenants/rules/claim_form.html", form=form, error=error), status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc):
    """A body above the app's limit cannot be read at all: say what was wrong, in words."""
    if request.endpoint != "claims.new" or g.get("actor") is None:
        return render_template("core/errors/any.html", status=413, error=_exc), 413
    form = _claim_form(formdata=None)
    form.photo.errors = [message(photos.PhotoError("photo_too_large"))]
    return render_template("tenants/rules/claim_form.html", form=form, error=None), 413


@bp.get("/<claim_id>")
def detail(claim_id):
    claim = _claim(claim_id)
    form = DecisionForm()
    return render_template("tenants/rules/claim.html", claim=claim, form=form,
                           staff=g.actor.is_staff, error=None)


@bp.get("/<claim_id>/photo")
def photo(claim_id):
    claim = _claim(claim_id)
    path = claim.photo and photos.path_of(g.community.id, claim.photo)
    if not path:
        abort(404)
    return photo_response(path)


@bp.get("/queue")
def queue():
    require_role(Role.GRID_WORKER)
    return _render_queue(DecisionForm())


def _render_queue(form, error=None, hits=(), selected=(), status=200):
    items = queries.claims(g.community.id, status="pending", limit=200)
    items.reverse()  # oldest first: first come, first served
    return render_template("tenants/rules/queue.html", claims=items, form=form, error=error,
                           hits=hits, selected=set(selected)), status


@bp.post("/decide")
def decide():
    require_role(Role.GRID_WORKER)
    form = DecisionForm()
    chosen = request.form.getlist("claims")
    decision = request.form.get("decision")
    back = request.form.get("back")
    if not form.validate_on_submit() or decision not in ("approve", "reject"):
        return _render_queue(form, error=_("Please check the form."), selected=chosen, status=422)
    if not chosen:
        return _render_queue(form, error=_("Choose at least one claim."), status=422)
    try:
        claims = claim_actions.do_decide_claims(
            g.actor, chosen, approve=decision == "approve", reason=form.reason.data or "")
    except RulesError as exc:
        if exc.code == "unknown_claim":
            abort(404)
        if back == "detail" and len(chosen) == 1:
            claim = _claim(chosen[0])
            error = field_error(form, exc)
            return render_template("tenants/rules/claim.html", claim=claim, form=form, staff=True,
                                   error=message(exc) if exc.hits else error), status_of(exc)
        error = cap_head(exc) if exc.hits else field_error(form, exc)
        return _render_queue(form, error=error, hits=hit_lines(exc), selected=chosen,
                             status=status_of(exc))
    if decision == "approve":
        flash(ngettext("%(num)d claim approved; the points were added.",
                       "%(num)d claims approved; the points were added.", len(claims)), "success")
    else:
        flash(ngettext("%(num)d claim rejected.", "%(num)d claims rejected.", len(claims)), "success")
    return redirect(url_for("claims.queue"))
