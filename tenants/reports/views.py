"""Dashboards: a community's (its admins) and a district's (communities side by side, with
totals). Desktop-first tables that sort and filter without JavaScript (links), SVG charts
with the numbers beside the bars, and an XLSX download of every table."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DecimalField
from wtforms.validators import NumberRange, Optional

from core.exports.xlsx import xlsx_response
from core.figures import registry
from core.figures.months import Month
from core.figures.values import Money
from core.identity.models import Role
from core.web.community import community_blueprint, require_role
from tenants.reports import actions, charts, dashboard
from tenants.reports.access import district_communities, district_of
from tenants.reports.dashboard import display, number, section_label, sort_key

community_bp = community_blueprint("reports", __name__)
district_bp = Blueprint("district_reports", __name__, url_prefix="/d/<district>")

KIND_LEGEND = (("red", "bar--red"), ("blue", "bar--blue"), ("green", "bar--green"))


def _kind_labels():
    return {"red": _("Red"), "blue": _("Blue"), "green": _("Green")}


def _month_arg(communities):
    """The month asked for (``?month=YYYY-MM``), else the current one; (month, problem)."""
    text = request.args.get("month")
    if text in (None, ""):
        return dashboard.default_month(communities), None
    month = Month.parse(text)
    if month is None:
        return dashboard.default_month(communities), _("Months are written like 2025-05.")
    return month, None


# --- charts -----------------------------------------------------------------------------------


def _kind_chart(board, chart_id, link=None):
    labels = _kind_labels()
    items = []
    for community in board.communities:
        parts, words = [], []
        for kind, css in KIND_LEGEND:
            value = board.value(f"members_{kind}", community.id) or 0
            parts.append((css, value, f"{labels[kind]} {display(value, 'count')}"))
            words.append(f"{labels[kind]} {display(value, 'count')}")
        href = link(community) if link else None
        items.append((community.name, parts, " · ".join(words), href))
    return charts.hbar(
        chart_id, _("Members by account kind"),
        _("One bar per community, split into red, blue and green accounts; the numbers are printed beside each bar."),
        items, legend=[(css, labels[kind]) for kind, css in KIND_LEGEND], value_width=260)


def _figure_chart(board, name, chart_id, link=None):
    figure = board.figure(name)
    if figure is None:
        return None
    items = []
    for community in board.communities:
        value = board.value(name, community.id)
        items.append((community.name, [("bar--main", number(value) or 0, "")],
                      display(value, figure.unit), link(community) if link else None))
    desc = _("%(figure)s in %(month)s, one bar per community, the number beside each bar.",
             figure=figure.label, month=str(board.month))
    return charts.hbar(chart_id, str(figure.label), desc, items)


def _series_chart(board, name, chart_id):
    figure = board.figure(name)
    if figure is None or name not in board.series:
        return None
    items = [(f"{m.month:02d}", number(v), display(v, figure.unit), str(m))
             for m, v in zip(board.months, board.series[name], strict=True)]
    desc = _("%(figure)s month by month, from %(first)s to %(last)s; the value is printed above each column.",
             figure=figure.label, first=str(board.months[0]), last=str(board.months[-1]))
    return charts.columns(chart_id, _("%(figure)s, month over month", figure=figure.label), desc, items)


SERIES_CHARTS = ("points_issued", "points_spent", "active_volunteers", "participation")


# --- community --------------------------------------------------------------------------------


@community_bp.get("/dashboard")
def community_dashboard():
    require_role(Role.ADMIN)
    month, problem = _month_arg([g.community])
    board = dashboard.build([g.community], month)
    minor = (g.community.settings or {}).get("point_value_minor")
    value_form = PointValueForm(formdata=None, data={"value": (
        Money(minor, g.community.currency).amount if isinstance(minor, int) else None)})
    return render_template(
        "tenants/reports/community.html", board=board, problem=problem, value_form=value_form,
        kind_chart=_kind_chart(board, "chart-kinds"),
        series_charts=[c for c in (_series_chart(board, n, f"chart-{n}") for n in SERIES_CHARTS) if c],
        display=display, section_label=section_label,
    ), (422 if problem else 200)


class PointValueForm(FlaskForm):
    value = DecimalField(
        _l("What one point is worth to the community (yuan)"),
        description=_l("For the money value of outstanding points. Leave empty to use the average of the merchant partnerships."),
        places=None, validators=[Optional(), NumberRange(min=0, max=actions.MAX_VALUE)],
        render_kw={"inputmode": "decimal"})


@community_bp.post("/dashboard/point-value")
def point_value():
    require_role(Role.ADMIN)
    form = PointValueForm()
    if not form.validate_on_submit():
        flash(_("The point value must be a number from 0 to 100, like 0.05."), "error")
        return redirect(url_for("reports.community_dashboard") + "#point-value", 303)
    actions.do_set_point_value(g.community, form.value.data, actor=current_user)
    flash(_("The point value is saved."), "success")
    return redirect(url_for("reports.community_dashboard") + "#point-value", 303)


@community_bp.get("/dashboard/figures.xlsx")
def community_dashboard_xlsx():
    require_role(Role.ADMIN)
    month, problem = _month_arg([g.community])
    if problem:
        abort(422)
    board = dashboard.build([g.community], month)
    name = f"{g.community.name}-{month}.xlsx"
    return xlsx_response(name, _community_sheets(board))


def _community_sheets(board):
    community = board.communities[0]
    head = [_("Figure"), str(board.month), _("Month before")]
    rows = [[str(f.label), number(board.value(f.name, community.id)), number(board.previous.get(f.name))]
            for f in board.figures]
    sheets = [(_("Figures"), head, rows), _series_sheet(board)]
    return sheets + _breakdown_sheets(board)


def _series_sheet(board):
    figures = [f for f in board.figures if f.name in board.series]
    rows = [[str(m)] + [number(board.series[f.name][i]) for f in figures]
            for i, m in enumerate(board.months)]
    return (_("Month over month"), [_("Month")] + [str(f.label) for f in figures], rows)


def _breakdown_sheets(board):
    names = {c.id: c.name for c in board.communities}
    sheets = []
    for breakdown, rows in board.breakdowns:
        head = [_("Community")] + [str(label) for _k, label, _u in breakdown.columns]
        body = [[names.get(r.get("community_id"), "")] + [number(r.get(k)) if u != "text" else r.get(k)
                                                          for k, _l, u in breakdown.columns]
                for r in rows]
        sheets.append((str(breakdown.label), head, body))
    return sheets


# --- district ---------------------------------------------------------------------------------


def _district_or_404(slug):
    district = district_of(current_user, slug)
    if district is None:
        abort(404)
    return district


def _table(board):
    """Rows of the side-by-side table, filtered (``q``: part of a name; ``section``) and
    sorted (``sort``: a figure's name or "name"; ``dir``: asc or desc)."""
    section = request.args.get("section") or ""
    figures = [f for f in board.figures if not section or f.section == section]
    if not figures:
        section, figures = "", list(board.figures)
    query = (request.args.get("q") or "").strip()[:80]
    communities = [c for c in board.communities
                   if not query or query.lower() in c.name.lower() or query.lower() in c.slug]
    sort = request.args.get("sort") or "name"
    descending = request.args.get("dir") == "desc"
    if sort != "name" and board.figure(sort) is not None:
        communities.sort(key=lambda c: sort_key(board.value(sort, c.id)), reverse=descending)
    else:
        sort = "name"
        communities.sort(key=lambda c: c.name, reverse=descending)
    return {"figures": figures, "communities": communities, "section": section, "q": query,
            "sort": sort, "dir": "desc" if descending else "asc"}


@district_bp.get("/dashboard")
@login_required
def district_dashboard(district):
    district = _district_or_404(district)
    communities = district_communities(district)
    month, problem = _month_arg(communities)
    board = dashboard.build(communities, month)

    def link(community):
        return url_for("reports.community_dashboard", community=community.slug, month=str(month))

    return render_template(
        "tenants/reports/district.html", district=district, board=board, problem=problem,
        table=_table(board), display=display, section_label=section_label,
        kind_chart=_kind_chart(board, "chart-kinds", link),
        bar_charts=[c for c in (_figure_chart(board, n, f"chart-{n}", link)
                                for n in ("participation", "points_outstanding", "owed_to_merchants")) if c],
        series_charts=[c for c in (_series_chart(board, n, f"chart-{n}") for n in SERIES_CHARTS) if c],
        sections=board.sections(),
    ), (422 if problem else 200)


@district_bp.get("/dashboard/figures.xlsx")
@login_required
def district_dashboard_xlsx(district):
    district = _district_or_404(district)
    communities = district_communities(district)
    month, problem = _month_arg(communities)
    if problem:
        abort(422)
    board = dashboard.build(communities, month)
    table = _table(board)
    head = [_("Community"), _("Short name")] + [str(f.label) for f in table["figures"]]
    rows = [[c.name, c.slug] + [number(board.value(f.name, c.id)) for f in table["figures"]]
            for c in table["communities"]]
    rows.append([_("Total"), ""] + [number(board.totals.get(f.name)) for f in table["figures"]])
    sheets = [(str(month), head, rows), _series_sheet(board)] + _breakdown_sheets(board)
    return xlsx_response(f"{district.name}-{month}.xlsx", sheets)


__all__ = ["community_bp", "district_bp", "registry"]
