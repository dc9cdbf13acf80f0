"""The wizard's rules step (the new community's rules, copied from the district's templates,
editable in place) and the district's rule template pages."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from core.tenancy.access import NotFound
from tenants.onboarding import queries, rule_templates
from tenants.onboarding.views import _community, _first_error, _render, bp
from tenants.rules import actions as rule_actions
from tenants.rules import queries as rule_queries
from tenants.rules.access import access_rule
from tenants.rules.errors import MAX_POINTS, RulesError, message
from tenants.rules.forms import RuleForm
from tenants.rules.views import RULE_FORM_FIELDS


class RuleRowForm(FlaskForm):
    points = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_POINTS)],
                          render_kw={"inputmode": "numeric"})
    active = BooleanField()


@bp.get("/onboard/<community>/rules")
def rules(community):
    community = _community(community)
    items = rule_queries.rules(community.id, include_retired=True)
    forms = {r.id: RuleRowForm(prefix=f"r{r.id.hex[:12]}", formdata=None, obj=r) for r in items}
    return _render("tenants/onboarding/rules.html", community, "onboarding.rules", rules=items,
                   forms=forms, reviewed=queries.reviewed_at(community, "rules"))


@bp.post("/onboard/<community>/rules/<rule_id>")
def rule_row(community, rule_id):
    community = _community(community)
    try:
        rule = access_rule(g.actor, rule_id)
    except NotFound:
        abort(404)
    form = RuleRowForm(prefix=f"r{rule.id.hex[:12]}")
    if not form.validate_on_submit():
        flash(_("%(item)s: %(problem)s", item=rule.name, problem=_first_error(form)), "error")
    else:
        rule_actions.do_update_rule(g.actor, rule, points=form.points.data)
        if rule.active != form.active.data:
            rule_actions.do_retire_rule(g.actor, rule, retired=not form.active.data)
        flash(_("%(item)s saved.", item=rule.name), "success")
    return redirect(url_for("onboarding.rules", community=community.slug) + f"#rule-{rule.id}", 303)


# --- the district's rule templates ---------------------------------------------------------------


def _values(form):
    values = {name: getattr(form, name).data for name in RULE_FORM_FIELDS}
    values["category"] = (values["category"] or "").strip()
    return values


@bp.route("/templates/rules", methods=["GET", "POST"])
def rule_templates_page():
    form = RuleForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            rule_templates.do_create_rule_template(g.district, code=form.code.data.strip(),
                                                   actor=current_user, **_values(form))
        except RulesError as exc:
            form.code.errors = list(form.code.errors) + [message(exc)]
            status = 409
        else:
            flash(_("Template “%(name)s” added.", name=form.name.data), "success")
            return redirect(url_for("onboarding.rule_templates_page"), 303)
    elif form.is_submitted():
        status = 422
    return render_template("tenants/onboarding/rule_templates.html", district=g.district, form=form,
                           error=error, templates=rule_queries.templates_of(g.district.id)), status


@bp.get("/templates/rules.xlsx")
def rule_templates_xlsx():
    from core.exports.xlsx import xlsx_response

    rows = [[t.code, t.name, t.category, t.points, t.unit.value, t.cap_day, t.cap_month, t.cap_year]
            for t in rule_queries.templates_of(g.district.id)]
    return xlsx_response(f"{g.district.name}-{_('rule templates')}.xlsx", [(
        _("Rule templates"), [_("Code"), _("Rule"), _("Category"), _("Points"), _("Counted"),
                              _("Limit per day"), _("Limit per month"), _("Limit per year")], rows)])


@bp.route("/templates/rules/<rule_template_id>", methods=["GET", "POST"])
def rule_template(rule_template_id):
    template = rule_templates.template(g.district.id, rule_template_id)
    if template is None:
        abort(404)
    if request.method == "POST" and request.form.get("delete") == "1":
        if not FlaskForm().validate_on_submit():
            abort(400)
        rule_templates.do_delete_rule_template(template, actor=current_user)
        flash(_("Template “%(name)s” removed.", name=template.name), "success")
        return redirect(url_for("onboarding.rule_templates_page"), 303)
    form = RuleForm(obj=template, data={"unit": template.unit.value} if request.method == "GET" else None)
    form.code.data = template.code
    status = 200
    if form.validate_on_submit():
        rule_templates.do_update_rule_template(template, actor=current_user, **_values(form))
        flash(_("Template “%(name)s” saved.", name=template.name), "success")
        return redirect(url_for("onboarding.rule_templates_page"), 303)
    elif form.is_submitted():
        status = 422
    return render_template("tenants/onboarding/rule_template.html", district=g.district, form=form,
                           template=template), status
