"""The counter (merchant staff, /m/<merchant>/counter) and residents' voucher pages."""

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from core.tenancy.access import NotFound
from core.web.community import ActionTile, community_blueprint
from merchants.errors import MarketError
from merchants.partners.models import Merchant
from merchants.partners.views import merchant_blueprint
from merchants.vouchers import actions, codes
from merchants.vouchers.counter import at_counter
from merchants.vouchers.forms import CodeForm
from merchants.vouchers.qr import qr_svg
from merchants.vouchers.queries import access_voucher, member_vouchers, merchant_redemptions

counter_bp = merchant_blueprint("counter", __name__, "/counter")
resident_bp = community_blueprint("vouchers", __name__, "/vouchers")


def voucher_tiles(actor):
    if actor.member is None:
        return []
    return [ActionTile(_("My vouchers"), url_for("vouchers.mine", community=actor.community.slug), order=31)]


# --- the counter ----------------------------------------------------------------------------


def _result(kind, status=200, **context):
    """A full-screen answer: ``ok`` (green tick), ``confirm`` (check before redeeming) or
    ``error`` (red cross, the reason in words)."""
    return render_template("merchants/counter/result.html", kind=kind, form=CodeForm(formdata=None),
                           **context), status


@counter_bp.get("/")
def index():
    return render_template("merchants/counter/index.html", form=CodeForm())


def _counter_step(action, outcome):
    """Run ``action(actor, code)`` on the typed code under the counter's throttle; a refusal
    is shown with the code as typed, so staff can see what went wrong."""
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("merchants/counter/index.html", form=form), 422
    actor = g.merchant_actor
    try:
        voucher = at_counter(actor.user, lambda: action(actor, form.code.data))
    except MarketError as exc:
        return _result("error", exc.status, error=exc, typed=form.code.data)
    return _result(outcome, voucher=voucher)


@counter_bp.post("/")
def check():
    return _counter_step(actions.check_at_counter, "confirm")


@counter_bp.post("/redeem")
def redeem():
    return _counter_step(actions.do_redeem_voucher, "ok")


@counter_bp.get("/history")
def history():
    rows = merchant_redemptions(g.merchant.id, limit=100)
    return render_template("merchants/counter/history.html", rows=rows)


# --- residents' vouchers --------------------------------------------------------------------


@resident_bp.get("/")
def mine():
    if g.actor.member is None:
        abort(404)
    return render_template("merchants/vouchers/index.html", rows=member_vouchers(g.actor.member))


def _voucher(voucher_id):
    try:
        return access_voucher(g.actor, voucher_id)
    except NotFound:
        abort(404)


@resident_bp.get("/<voucher_id>")
def detail(voucher_id):
    from core.extensions import db

    voucher = _voucher(voucher_id)
    code = actions.voucher_code(voucher)
    shown = codes.grouped(code) if code else ""
    merchant = db.session.get(Merchant, voucher.merchant_id)
    return render_template(
        "merchants/vouchers/detail.html", voucher=voucher, code=shown, merchant=merchant,
        qr=qr_svg(shown, _("QR code of voucher %(code)s", code=shown)) if shown else None,
        phase=voucher.phase(),
    )


@resident_bp.post("/<voucher_id>/cancel")
def cancel(voucher_id):
    voucher = _voucher(voucher_id)
    try:
        actions.do_cancel_voucher(g.actor, voucher)
    except MarketError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The voucher is cancelled and %(points)d points are back in your account.",
                points=voucher.points), "success")
    return redirect(url_for("vouchers.detail", voucher_id=voucher.id))
