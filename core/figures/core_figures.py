"""The figures core owns: members by account kind, active volunteers and participation, and
the points ledger (issued, spent, expired, outstanding, and outstanding as money).

Definitions (shown on the dashboards as well):
- members: active members who hold a points account (residents and grid workers; admins are
  staff accounts), by account kind, counting those who joined before the month's end;
- active volunteers: members who earned points in the 90 days up to the month's end (up to
  now for the month in progress);
- participation rate: active volunteers / members;
- issued, spent, expired: points that moved in the month (net of reversals and refunds);
- outstanding: what members hold at the month's end (everything issued less spent and expired);
- outstanding as money (the community's liability): outstanding x the community's point value.
  The value is the community's own setting (``settings["point_value_minor"]``, fen per point)
  if an admin set one, else the average point value of its active merchant partnerships (what
  the community actually pays per point redeemed), else unknown. The average is unweighted:
  a per-redemption weighting would change with every month's mix of merchants, and the
  liability is an estimate of what outstanding points would cost, not a settlement.
"""

from bisect import bisect_right

from flask_babel import lazy_gettext as _l

from core.figures import rollup
from core.figures.registry import Figure, FigureRequest, register_figure
from core.figures.values import Money, Ratio
from core.identity.models import AccountKind

KINDS = tuple(k.value for k in AccountKind)

# Another capability (merchants) tells the average point value of a community's partnerships:
# ``register_point_value(fn)``, ``fn(community_ids) -> {community_id: minor units per point}``.
_point_value_sources = []


def register_point_value(source):
    if source not in _point_value_sources:
        _point_value_sources.append(source)
    return source


def point_values(communities) -> dict:
    """``{community_id: (minor units per point, where it comes from)}``; missing: unknown."""
    out = {}
    for community in communities:
        own = (community.settings or {}).get("point_value_minor")
        if isinstance(own, int | float) and not isinstance(own, bool) and own >= 0:
            out[community.id] = (own, "setting")
    rest = [c.id for c in communities if c.id not in out]
    for source in _point_value_sources:
        if not rest:
            break
        for cid, value in (source(rest) or {}).items():
            if value is not None and cid in rest:
                out[cid] = (value, "partners")
        rest = [cid for cid in rest if cid not in out]
    return out


# --- members --------------------------------------------------------------------------------


def members_by_kind(request: FigureRequest) -> dict:
    """``{community_id: {"red": n, "blue": n, "green": n}}`` at the month's end: a finished
    month from its snapshot, the month in progress (or one not frozen yet) counted live."""
    key = request.month.key

    def load():
        snapshots = request.memo("snapshots", lambda: rollup.snapshots_all(request.communities))
        out, live = {}, []
        for community in request.communities:
            snap = snapshots.get(community.id, {}).get(key)
            if snap is not None and not request.is_current(community) and not request.is_future(community):
                out[community.id] = {"red": snap.members_red, "blue": snap.members_blue,
                                     "green": snap.members_green}
            else:
                live.append(community)
        current = [c for c in live if request.is_current(c)]
        if current:
            out.update(rollup.members_now(current, request.now))
        past = [c for c in live if not request.is_current(c)]
        if past:
            out.update(rollup.members_at(past, {c.id: request.until(c) for c in past}))
        return out

    return request.memo(("members_at", key), load)


def _members_of_kind(kind):
    def compute(request):
        return {cid: counts[kind] for cid, counts in members_by_kind(request).items()}

    return compute


def members_total(request):
    return {cid: sum(counts.values()) for cid, counts in members_by_kind(request).items()}


# --- activity -------------------------------------------------------------------------------


def active_volunteers(request: FigureRequest) -> dict:
    def load():
        current = [c for c in request.communities if request.is_current(c)]
        past = [c for c in request.communities if not request.is_current(c) and not request.is_future(c)]
        out = {c.id: 0 for c in request.communities}
        if current:
            out.update(rollup.active_now(current, request.now))
        if past:
            every = request.memo("snapshots", lambda: rollup.snapshots_all(request.communities))
            past_ids = {c.id for c in past}
            key = request.month.key
            frozen = {cid: months[key].active for cid, months in every.items()
                      if cid in past_ids and key in months}
            out.update(frozen)
            for community in past:
                if community.id not in frozen:
                    end = request.month.end(community.timezone)
                    out.update(rollup.active_members([community], end - rollup.ACTIVE_WINDOW, end))
        return out

    return request.memo(("active", request.month), load)


def participation(request: FigureRequest) -> dict:
    active = active_volunteers(request)
    members = members_total(request)
    return {cid: Ratio(active.get(cid, 0), members.get(cid, 0)) for cid in request.ids}


# --- points ---------------------------------------------------------------------------------


def _flows(request: FigureRequest) -> dict:
    return request.memo("flows", lambda: rollup.monthly_flows(request.communities, request.now))


def _month_sum(request, index) -> dict:
    flows = _flows(request)
    key = request.month.key
    return {
        cid: sum(cell[index] for cell in flows[cid].get(key, {}).values())
        for cid in request.ids
    }


def points_issued(request):
    return _month_sum(request, 0)


def points_spent(request):
    return _month_sum(request, 1)


def points_expired(request):
    return _month_sum(request, 2)


def points_outstanding(request) -> dict:
    """Cumulative issued - spent - expired up to the month's end, per community."""
    running = request.memo("running", lambda: _running_totals(_flows(request)))
    key = request.month.key
    out = {}
    for cid in request.ids:
        months, totals = running.get(cid, ([], []))
        index = bisect_right(months, key)
        out[cid] = totals[index - 1] if index else 0
    return out


def _running_totals(flows) -> dict:
    """``{community_id: (sorted months, running outstanding after each)}``."""
    out = {}
    for cid, by_month in flows.items():
        months, totals, total = [], [], 0
        for month in sorted(by_month):
            total += sum(i - s - e for i, s, e in by_month[month].values())
            months.append(month)
            totals.append(total)
        out[cid] = (months, totals)
    return out


def points_by_kind(request) -> dict:
    """``{community_id: {kind: [issued, spent, expired]}}`` in the month."""
    flows = _flows(request)
    key = request.month.key
    return {cid: {kind: list(cell) for kind, cell in flows[cid].get(key, {}).items()}
            for cid in request.ids}


def liability(request) -> dict:
    outstanding = points_outstanding(request)
    values = request.memo("point_values", lambda: point_values(request.communities))
    out = {}
    for community in request.communities:
        value = values.get(community.id)
        if value is None:
            out[community.id] = None
            continue
        minor = round(outstanding[community.id] * value[0])
        out[community.id] = Money(int(minor), community.currency)
    return out


def register_core_figures() -> None:
    register_figure(Figure("members_red", _l("Members: red (party members)"), "count",
                           _members_of_kind("red"), section="members", order=10))
    register_figure(Figure("members_blue", _l("Members: blue (residents)"), "count",
                           _members_of_kind("blue"), section="members", order=11))
    register_figure(Figure("members_green", _l("Members: green (building heads)"), "count",
                           _members_of_kind("green"), section="members", order=12))
    register_figure(Figure("members", _l("Members"), "count", members_total, section="members",
                           order=13))
    register_figure(Figure(
        "active_volunteers", _l("Active volunteers"), "count", active_volunteers,
        section="members", order=20, series=True,
        description=_l("Members who earned points in the 90 days up to the month's end.")))
    register_figure(Figure(
        "participation", _l("Participation rate"), "percent", participation, section="members",
        order=21, series=True, description=_l("Active volunteers as a share of members.")))
    register_figure(Figure("points_issued", _l("Points issued"), "points", points_issued,
                           section="points", order=10, series=True))
    register_figure(Figure("points_spent", _l("Points spent"), "points", points_spent,
                           section="points", order=11, series=True))
    register_figure(Figure("points_expired", _l("Points expired"), "points", points_expired,
                           section="points", order=12, series=True))
    register_figure(Figure(
        "points_outstanding", _l("Points outstanding"), "points", points_outstanding,
        section="points", order=13, series=True,
        description=_l("What members hold at the month's end.")))
    register_figure(Figure(
        "liability", _l("Outstanding points in money"), "money", liability, section="points",
        order=14,
        description=_l("Outstanding points x the point value: the community's own setting, "
                       "else the average of its merchant partnerships.")))
