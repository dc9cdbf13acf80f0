"""Pages: the rule list (everyone) and its management (admins), awarding points to one or
many people (staff), and the member list (staff)."""

import secrets

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from core.identity.models import Role
from core.ledger.actions import IdempotencyKeyReused
from core.tenancy.access import NotFound
from core.web.community import community_blueprint, require_role
from tenants.rules import actions, queries
from tenants.rules.access import access_rule
from tenants.rules.errors import (
    MAX_MEMBERS,
    RulesError,
    cap_head,
    hit_lines,
    message,
    status_of,
)
from tenants.rules.forms import AwardForm, RuleForm, rule_choices

bp = community_blueprint("rules", __name__)

RULE_FORM_FIELDS = (
    "name", "category", "points", "unit", "needs_evidence", "needs_approval",
    "residents_may_claim", "grid_workers_may_award", "admins_may_award",
    "cap_day", "cap_month", "cap_year",
)


def _rule(rule_id):
    try:
        return access_rule(g.actor, rule_id)
    except NotFound:
        abort(404)


def field_error(form, exc: RulesError) -> str | None:
    """Put the error next to its field when the form has it; else return it for the summary."""
    text = message(exc)
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [text]
        return None
    return text


# --- rules -------------------------------------------------------------------------------------


@bp.get("/rules/")
def rule_list():
    admin = g.actor.can(Role.ADMIN)
    items = queries.rules(g.community.id, include_retired=admin)
    return render_template("tenants/rules/rules.html", rules=items, admin=admin)


@bp.route("/rules/new", methods=["GET", "POST"])
def rule_new():
    require_role(Role.ADMIN)
    form = RuleForm()
    error, status = None, 200
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in RULE_FORM_FIELDS}
        values["category"] = (values["category"] or "").strip()
        try:
            rule = actions.do_create_rule(g.actor, code=form.code.data.strip(), **values)
        except RulesError as exc:
            error, status = field_error(form, exc), 409
        else:
            flash(_("Rule “%(name)s” added.", name=rule.name), "success")
            return redirect(url_for("rules.rule_list"))
    elif form.is_submitted():
        status = 422
    return render_template("tenants/rules/rule_form.html", form=form, rule=None, error=error), status


@bp.route("/rules/<rule_id>/edit", methods=["GET", "POST"])
def rule_edit(rule_id):
    require_role(Role.ADMIN)
    rule = _rule(rule_id)
    form = RuleForm(obj=rule, data={"unit": rule.unit.value} if request.method == "GET" else None)
    form.code.data = rule.code  # the code never changes: the API and old awards use it
    status = 200
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in RULE_FORM_FIELDS}
        values["category"] = (values["category"] or "").strip()
        actions.do_update_rule(g.actor, rule, **values)
        flash(_("Rule “%(name)s” saved.", name=rule.name), "success")
        return redirect(url_for("rules.rule_list"))
    elif form.is_submitted():
        status = 422
    used = queries.rule_is_used(rule)
    return render_template("tenants/rules/rule_form.html", form=form, rule=rule, used=used,
                           error=None), status


@bp.post("/rules/<rule_id>/retire")
def rule_retire(rule_id):
    require_role(Role.ADMIN)
    rule = _rule(rule_id)
    retire = request.form.get("retire", "1") == "1"
    actions.do_retire_rule(g.actor, rule, retired=retire)
    flash(_("Rule “%(name)s” retired.", name=rule.name) if retire
          else _("Rule “%(name)s” is in use again.", name=rule.name), "success")
    return redirect(url_for("rules.rule_list"))


@bp.post("/rules/<rule_id>/delete")
def rule_delete(rule_id):
    require_role(Role.ADMIN)
    rule = _rule(rule_id)
    try:
        actions.do_delete_rule(g.actor, rule)
    except RulesError as exc:
        flash(message(exc), "error")
        return redirect(url_for("rules.rule_edit", rule_id=rule.id)), 303
    flash(_("Rule deleted."), "success")
    return redirect(url_for("rules.rule_list"))


# --- awards ------------------------------------------------------------------------------------


def _award_rules():
    items = [r for r in queries.rules(g.community.id)
             if (r.admins_may_award if g.actor.can(Role.ADMIN) else r.grid_workers_may_award)]
    return items


def rule_label(rule) -> str:
    unit = _("per hour") if rule.unit.value == "hour" else _("each")
    return f"{rule.name} · {rule.points} {_('points')} {unit}"


@bp.route("/awards/new", methods=["GET", "POST"])
def award():
    require_role(Role.GRID_WORKER)
    rules = _award_rules()
    form = AwardForm()
    form.rule.choices = rule_choices(rules, rule_label, _("Choose a rule"))
    q = request.args.get("q", "")
    people = queries.search_members(g.community.id, q, limit=MAX_MEMBERS)
    selected = set(request.form.getlist("members")) if request.method == "POST" else set(
        request.args.getlist("member"))
    error, hits, status = None, [], 200
    if form.validate_on_submit():
        members = queries.members_by_ids(g.community.id, _ids(selected))
        rule = queries.rule_by_code(g.community.id, form.rule.data)
        try:
            if len(members) != len(selected):
                raise RulesError("unknown_member", field="members")
            awards = actions.do_award_points(
                g.actor, rule, members, form.quantity.data, form.note.data or "",
                idempotency_key=f"web:{form.token.data}",
            )
        except RulesError as exc:
            if exc.hits:
                error, hits, status = cap_head(exc), hit_lines(exc), 409
            else:
                error, status = field_error(form, exc), status_of(exc)
        except IdempotencyKeyReused:
            error, status = _("This page was already sent with other choices. Please start again."), 409
        else:
            names = ", ".join(a.member.name for a in awards)
            flash(ngettext("%(points)d points awarded to %(names)s.",
                           "%(points)d points each awarded to %(names)s.", len(awards),
                           points=awards[0].points, names=names), "success")
            return redirect(url_for("rules.award", q=q or None))
    elif form.is_submitted():
        status = 422
    if not form.token.data:
        form.token.data = secrets.token_hex(16)
    return render_template("tenants/rules/award.html", form=form, people=people, q=q,
                           selected=selected, error=error, hits=hits), status


def _ids(values):
    from core.ids import parse_id

    parsed = [parse_id(v) for v in values]
    return [p for p in parsed if p is not None] if None not in parsed else [None]


# --- members -----------------------------------------------------------------------------------


@bp.get("/members/")
def member_list():
    require_role(Role.GRID_WORKER)
    q = request.args.get("q", "")
    people = queries.search_members(g.community.id, q, limit=MAX_MEMBERS)
    balances = queries.balances_of(g.community.id, [m.id for m in people])
    return render_template("tenants/rules/members.html", people=people, q=q, balances=balances,
                           limit=MAX_MEMBERS)
