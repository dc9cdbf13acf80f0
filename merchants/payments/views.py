"""``/m/<merchant>/payments``: the owner connects the shop's Stripe account (Connect Express
onboarding on Stripe's own pages) and sees whether it can be paid."""

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from core.errors import ActionError
from core.payments.gateway import stripe_enabled
from merchants.partners.views import merchant_blueprint, require_owner
from merchants.payments import actions

bp = merchant_blueprint("merchant_payments", __name__, url_prefix="/payments")


def _links():
    return {"refresh_url": url_for("merchant_payments.refresh", _external=True),
            "return_url": url_for("merchant_payments.back", _external=True)}


@bp.get("/")
def index():
    require_owner()
    return render_template("merchants/payments.html", enabled=stripe_enabled(),
                           account=actions.connected_account(g.merchant.id))


@bp.post("/connect")
def connect():
    require_owner()
    try:
        url = actions.do_connect(g.merchant_actor, **_links())
    except ActionError as exc:
        flash(exc.message, "error")
        return render_template("merchants/payments.html", enabled=stripe_enabled(),
                               account=actions.connected_account(g.merchant.id)), exc.status
    return redirect(url, code=303)


@bp.get("/refresh")
def refresh():
    """Stripe sends the owner here when an onboarding link has expired: a fresh one (for an
    account already made; a GET never makes one)."""
    require_owner()
    if actions.connected_account(g.merchant.id) is None:
        return redirect(url_for("merchant_payments.index"))
    return connect()


@bp.get("/return")
def back():
    require_owner()
    account = actions.do_refresh(g.merchant_actor)
    if account is not None and account.ready:
        flash(_("Your Stripe account is connected. Communities can pay you through Stripe."), "success")
    elif account is not None:
        flash(_("Stripe still needs some details before you can be paid."), "warning")
    return redirect(url_for("merchant_payments.index"))
