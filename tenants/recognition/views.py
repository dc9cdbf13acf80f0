"""Recognition pages: leaderboards (members), a member's own name setting and stars, grid
workers' medals and residents' stars (staff), the printable honour roll (红榜) and the
quarterly review list (admins), and the district's thresholds (district admins)."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField

from core.exports.xlsx import xlsx_response
from core.identity.models import Role
from core.tenancy.context import use_community
from core.web.community import community_blueprint, require_role
from tenants.recognition import actions, metrics, queries, settings_form
from tenants.recognition import config as rules
from tenants.recognition.queries import Period
from tenants.reports.access import district_communities, district_of

bp = community_blueprint("recognition", __name__, "/recognition")
district_bp = Blueprint("district_recognition", __name__, url_prefix="/d/<district>")


class HideNameForm(FlaskForm):
    hide_name = BooleanField()


def _period(default_kind, allowed=("month", "quarter", "year")):
    text = request.args.get("period")
    period = Period.parse(text) if text else None
    if text and (period is None or period.kind not in allowed):
        abort(404)
    return period or Period.current(default_kind, g.community.timezone)


def _tier_label(tier):
    return {"gold": _("Gold"), "silver": _("Silver"), "bronze": _("Bronze"), None: "—"}[tier]


def _config():
    return queries.config_of(g.community.district_id)


# --- leaderboards ----------------------------------------------------------------------------------


def _by():
    by = request.args.get("by", "all")
    return by if by == "all" or by in metrics.groupings() else "all"


@bp.get("/leaderboard")
def leaderboard():
    period = _period("month", ("month", "year"))
    by = _by()
    return render_template(
        "tenants/recognition/leaderboard.html", period=period, by=by,
        boards=queries.leaderboards(g.community, period, by), groupings=metrics.groupings(),
        hidden=g.actor.member is not None and g.actor.member.id in queries.hidden_members(g.community.id))


@bp.get("/leaderboard.xlsx")
def leaderboard_xlsx():
    period = _period("month", ("month", "year"))
    boards = queries.leaderboards(g.community, period, _by(), limit=10_000)
    head = [_("Group"), _("Rank"), _("Name"), _("Points earned")]
    rows = [[b.label, e.rank, e.name, e.points] for b in boards for e in b.entries]
    return xlsx_response(f"{_('Leaderboard')}-{period}.xlsx", [(str(period), head, rows)])


@bp.route("/me", methods=["GET", "POST"])
def me():
    member = g.actor.member
    if member is None:
        abort(404)
    form = HideNameForm()
    if form.validate_on_submit():
        actions.do_set_hide_name(member, form.hide_name.data, actor=current_user)
        flash(_("Saved. Lists now show you as %(name)s.",
                name=(f"{_('Resident')} {queries.mask(member.name)}" if form.hide_name.data else member.name)),
              "success")
        return redirect(url_for("recognition.me"), 303)
    pref = queries.preference(member)
    year = Period.current("year", g.community.timezone)
    stars = queries.resident_stars(g.community, year, _config(), members=[member])[0] \
        if member.role == Role.RESIDENT else None
    return render_template("tenants/recognition/me.html", member=member,
                           hide=bool(pref and pref.hide_name), masked=queries.mask(member.name),
                           stars=stars, year=year, form=form, metrics=metrics.resident_metrics())


# --- staff lists -------------------------------------------------------------------------------------


@bp.get("/grid-workers")
def grid_workers():
    require_role(Role.GRID_WORKER)
    period = _period("year")
    config = _config()
    people = queries.grid_workers(g.community, period, config)
    return render_template("tenants/recognition/grid_workers.html", period=period, people=people,
                           metrics=metrics.staff_metrics(), tiers=config["tiers"], tier_label=_tier_label)


@bp.get("/grid-workers.xlsx")
def grid_workers_xlsx():
    require_role(Role.GRID_WORKER)
    period = _period("year")
    available = metrics.staff_metrics()
    people = queries.grid_workers(g.community, period, _config())
    head = [_("Name"), _("Medal")] + [str(m.label) for m in available.values()]
    rows = [[p.name, _tier_label(p.tier)] + [p.values.get(n) for n in available] for p in people]
    return xlsx_response(f"{_('Grid workers')}-{period}.xlsx", [(str(period), head, rows)])


@bp.get("/stars")
def stars():
    require_role(Role.GRID_WORKER)
    period = _period("year")
    config = _config()
    people = queries.resident_stars(g.community, period, config)
    people.sort(key=lambda p: (-p.stars, p.member.number))
    return render_template("tenants/recognition/stars.html", period=period, people=people,
                           metrics=metrics.resident_metrics(), config=config)


@bp.get("/stars.xlsx")
def stars_xlsx():
    require_role(Role.GRID_WORKER)
    period = _period("year")
    available = metrics.resident_metrics()
    people = queries.resident_stars(g.community, period, _config())
    head = [_("Member number"), _("Name"), _("Stars")] + [str(m.label) for m in available.values()]
    rows = [[p.member.number, p.name, p.stars] + [p.values.get(n) for n in available] for p in people]
    return xlsx_response(f"{_('Integrity stars')}-{period}.xlsx", [(str(period), head, rows)])


@bp.get("/honour-roll")
def honour_roll():
    """The year-end 红榜, to print on A4: the year's top volunteers, the medalled grid
    workers and the five-star residents."""
    require_role(Role.ADMIN)
    period = _period("year", ("year",))
    config = _config()
    top = queries.leaderboards(g.community, period, "all", limit=10)[0].entries
    medals = [p for p in queries.grid_workers(g.community, period, config) if p.tier]
    five = [p for p in queries.resident_stars(g.community, period, config) if p.stars == 5]
    return render_template("tenants/recognition/honour_roll.html", period=period, top=top,
                           medals=medals, five=five[:40], tier_label=_tier_label)


def _review(period):
    config = _config()
    top = queries.leaderboards(g.community, period, "all", limit=30)[0].entries
    medals = queries.grid_workers(g.community, period, config)
    low = [p for p in queries.resident_stars(g.community, period, config) if p.stars <= 2]
    return top, medals, low


@bp.get("/review")
def review():
    """The quarterly review list: who did most, how grid workers stand, who needs a word."""
    require_role(Role.ADMIN)
    period = _period("quarter", ("quarter",))
    top, medals, low = _review(period)
    return render_template("tenants/recognition/review.html", period=period, top=top, medals=medals,
                           low=low, staff_metrics=metrics.staff_metrics(),
                           resident_metrics=metrics.resident_metrics(), tier_label=_tier_label)


@bp.get("/review.xlsx")
def review_xlsx():
    require_role(Role.ADMIN)
    period = _period("quarter", ("quarter",))
    top, medals, low = _review(period)
    staff, residents = metrics.staff_metrics(), metrics.resident_metrics()
    sheets = [
        (_("Most points"), [_("Rank"), _("Name"), _("Points earned")], [[e.rank, e.name, e.points] for e in top]),
        (_("Grid workers"), [_("Name"), _("Medal")] + [str(m.label) for m in staff.values()],
         [[p.name, _tier_label(p.tier)] + [p.values.get(n) for n in staff] for p in medals]),
        (_("Two stars or fewer"), [_("Member number"), _("Name"), _("Stars")] + [str(m.label) for m in residents.values()],
         [[p.member.number, p.name, p.stars] + [p.values.get(n) for n in residents] for p in low]),
    ]
    return xlsx_response(f"{_('Quarterly review')}-{period}.xlsx", sheets)


# --- the district's thresholds ---------------------------------------------------------------------


@district_bp.route("/recognition", methods=["GET", "POST"])
@login_required
def district_settings(district):
    found = district_of(current_user, district)
    if found is None:
        abort(404)
    staff, residents = metrics.staff_metrics(), metrics.resident_metrics()
    config = queries.config_of(found.id)
    form = FlaskForm()
    errors, status = {}, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        config, errors = settings_form.parse(request.form, staff, residents)
        if errors:
            status = 422
        else:
            actions.do_save_settings(found, config, actor=current_user)
            flash(_("The recognition rules are saved."), "success")
            return redirect(url_for("district_recognition.district_settings", district=found.slug), 303)
    period = Period.current("year", "Asia/Shanghai")
    overview = []
    for community in district_communities(found):
        with use_community(community.id):
            people = queries.grid_workers(community, period, queries.config_of(found.id))
        overview.append((community, {t: sum(1 for p in people if p.tier == t) for t in rules.TIERS}, len(people)))
    return render_template("tenants/recognition/district_settings.html", district=found, form=form,
                           config=config, errors=errors, staff=staff, residents=residents,
                           tiers=rules.TIERS, max_rules=rules.MAX_RULES, tier_label=_tier_label,
                           overview=overview, period=period), status
