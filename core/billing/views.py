"""The payer's billing page: a community admin's (``/c/<community>/billing``) and a district
admin's (``/d/<district>/billing``). Each shows only its own payer's plan and status."""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.billing import actions, queries
from core.billing.forms import SubscribeForm
from core.billing.models import PayerKind
from core.errors import ActionError
from core.identity.models import Role
from core.tenancy.access import NotFound, district_for
from core.web.community import community_blueprint, require_role

community_bp = community_blueprint("community_billing", __name__, url_prefix="/billing")
district_bp = Blueprint("district_billing", __name__, url_prefix="/d/<district>/billing")

PLAN_LABELS = {
    PayerKind.COMMUNITY: _l("Community plan"),
    PayerKind.DISTRICT: _l("District plan: every community of the district"),
}
STATUS_LABELS = {
    "active": _l("Subscription active"),
    "trialing": _l("Trial"),
    "incomplete": _l("Starting: the first invoice is not paid yet"),
    "incomplete_expired": _l("Not started: the first invoice was never paid"),
    "past_due": _l("Past due: an invoice is unpaid"),
    "unpaid": _l("Unpaid: invoices are overdue"),
    "paused": _l("Paused"),
    "canceled": _l("Ended"),
}


def _page(kind: PayerKind, payer, back_url: str, paid_by_district=None):
    enabled = queries.billing_enabled() and queries.price_for(kind) is not None
    customer = queries.customer_of(kind, payer.id) if enabled else None
    subscription = queries.current_subscription(kind, payer.id) if enabled else None
    form = SubscribeForm(name=payer.name)
    if customer is not None:  # already known to Stripe: nothing more to ask
        del form.name
        del form.email
    status, error = 200, None
    if form.validate_on_submit():
        try:
            actions.do_subscribe(current_user, kind, payer, email=getattr(customer, "email", None)
                                 or form.email.data, name=payer.name if customer else form.name.data)
        except ActionError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("Subscribed. Stripe emails the invoices."), "success")
            return redirect(back_url)
    elif form.is_submitted():
        status = 422
    return render_template(
        "core/billing.html", enabled=enabled, payer=payer, plan=PLAN_LABELS[kind],
        subscription=subscription, status_label=STATUS_LABELS.get(
            subscription.status, subscription.status) if subscription else None,
        form=form, error=error, paid_by_district=paid_by_district), status


@community_bp.route("/", methods=["GET", "POST"])
def community_billing():
    require_role(Role.ADMIN)
    community = g.community
    district_pays = None
    if queries.billing_enabled():
        district_pays = queries.live_subscription(PayerKind.DISTRICT, community.district_id)
    return _page(PayerKind.COMMUNITY, community, url_for("community_billing.community_billing"),
                 paid_by_district=district_pays)


@district_bp.route("/", methods=["GET", "POST"])
@login_required
def district_billing(district):
    try:
        district = district_for(district, current_user)
    except NotFound:
        abort(404)
    return _page(PayerKind.DISTRICT, district,
                 url_for("district_billing.district_billing", district=district.slug))
