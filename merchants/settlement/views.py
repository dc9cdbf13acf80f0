"""Statement pages: the merchant's (its owner, /m/<merchant>/statements/) and the community's
(its admins, /c/<community>/statements/). Both sides read the same statement page, each with
its own actions; a printable A4 view, CSV and XLSX for both."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.identity.models import Role
from core.payments.gateway import stripe_enabled
from core.tenancy.access import NotFound
from core.web.community import ActionTile, community_blueprint, require_role
from merchants.errors import MarketError
from merchants.money import amount_text
from merchants.partners.forms import MoneyField, money_check
from merchants.partners.views import merchant_blueprint
from merchants.partners.views import require_owner as require_merchant_owner
from merchants.settlement import actions, exports
from merchants.settlement.actions import STATUS_WORDS
from merchants.settlement.models import StatementStatus
from merchants.settlement.periods import parse_month
from merchants.settlement.queries import (
    community_statements,
    credit_notes_of,
    lines_of,
    merchant_statements,
    parties,
    payment_of,
    statement_for_community,
    statement_for_merchant,
)

merchant_bp = merchant_blueprint("merchant_statements", __name__, "/statements")
community_bp = community_blueprint("statements", __name__, "/statements")


def statement_tiles(actor):
    if not actor.can(Role.ADMIN):
        return []
    return [ActionTile(_("Merchant statements"), url_for("statements.index", community=actor.community.slug),
                       order=81)]


class DisputeForm(FlaskForm):
    lines = SelectMultipleField(_l("Lines you question"), choices=[], validate_choice=True,
                                option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    reason = TextAreaField(_l("What is wrong"), description=_l("For example: this voucher was not used at our shop."),
                           validators=[DataRequired(), Length(max=300)])


class CreditNoteForm(FlaskForm):
    amount = MoneyField(_l("Amount to take off"), description=_l("For example 1.50"),
                        validators=[DataRequired(), money_check])
    line = SelectField(_l("For the line"), choices=[], validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class PaymentForm(FlaskForm):
    reference = StringField(_l("Bank transfer reference"), description=_l("As on the bank's receipt"),
                            validators=[DataRequired(), Length(max=120)])


def _line_label(line, currency):
    return f"{line.redeemed_at:%m-%d} · …{line.code_tail} · {line.title} · {amount_text(line.amount_minor, currency)}"


def _render(statement, side, status=200, error=None, dispute=None, credit=None, payment=None):
    community, merchant = parties(statement)
    lines = lines_of(statement)
    choices = [(str(line.id), _line_label(line, statement.currency)) for line in lines]
    dispute = dispute or DisputeForm(formdata=None)
    dispute.lines.choices = choices
    credit = credit or CreditNoteForm(formdata=None)
    credit.line.choices = [("", _("The whole statement"))] + choices
    credit.amount.currency = statement.currency
    return render_template(
        "merchants/settlement/statement.html", statement=statement, side=side, community_=community,
        merchant_=merchant, lines=lines, notes=credit_notes_of(statement), payment=payment_of(statement),
        status_words=STATUS_WORDS, S=StatementStatus, dispute=dispute, credit=credit,
        payment_form=payment or PaymentForm(formdata=None), error=error,
        stripe=stripe_enabled(),
    ), status


def _month_arg():
    month = request.args.get("month") or None
    return parse_month(month) if month else None


# --- the merchant ------------------------------------------------------------------------


def _mine(statement_id):
    require_merchant_owner()
    try:
        return statement_for_merchant(g.merchant.id, statement_id)
    except NotFound:
        abort(404)


@merchant_bp.get("/")
def merchant_index():
    require_merchant_owner()
    month = _month_arg()
    rows = merchant_statements(g.merchant.id, month)
    return render_template("merchants/settlement/index.html", rows=rows, side="merchant", month=month,
                           status_words=STATUS_WORDS)


@merchant_bp.get("/<statement_id>")
def merchant_detail(statement_id):
    return _render(_mine(statement_id), "merchant")


@merchant_bp.post("/<statement_id>/confirm")
def merchant_confirm(statement_id):
    statement = _mine(statement_id)
    try:
        actions.do_confirm(g.merchant_actor, statement)
    except MarketError as exc:
        return _render(statement, "merchant", exc.status, exc.message)
    flash(_("Thank you: the statement is confirmed. The community approves and pays it next."), "success")
    return redirect(url_for("merchant_statements.merchant_detail", statement_id=statement.id))


@merchant_bp.post("/<statement_id>/dispute")
def merchant_dispute(statement_id):
    statement = _mine(statement_id)
    form = DisputeForm()
    form.lines.choices = [(str(line.id), "") for line in lines_of(statement)]
    if not form.validate_on_submit():
        return _render(statement, "merchant", 422, dispute=form)
    try:
        actions.do_dispute(g.merchant_actor, statement, form.reason.data, form.lines.data)
    except MarketError as exc:
        return _render(statement, "merchant", exc.status, exc.message, dispute=form)
    flash(_("Your question is sent to the community. They will answer with a correction or ask you to confirm."),
          "success")
    return redirect(url_for("merchant_statements.merchant_detail", statement_id=statement.id))


@merchant_bp.get("/<statement_id>/print")
def merchant_print(statement_id):
    return _print(_mine(statement_id), "merchant")


@merchant_bp.get("/<statement_id>/csv")
def merchant_csv(statement_id):
    return exports.csv_response(_mine(statement_id))


@merchant_bp.get("/<statement_id>/xlsx")
def merchant_xlsx(statement_id):
    return exports.xlsx(_mine(statement_id))


# --- the community -----------------------------------------------------------------------


def _ours(statement_id):
    require_role(Role.ADMIN)
    try:
        return statement_for_community(g.community.id, statement_id)
    except NotFound:
        abort(404)


@community_bp.get("/")
def index():
    require_role(Role.ADMIN)
    month = _month_arg()
    rows = community_statements(g.community.id, month)
    return render_template("merchants/settlement/index.html", rows=rows, side="community", month=month,
                           status_words=STATUS_WORDS)


@community_bp.get("/<statement_id>")
def detail(statement_id):
    return _render(_ours(statement_id), "community")


def _step(statement_id, action, done_message):
    statement = _ours(statement_id)
    try:
        action(g.actor, statement)
    except MarketError as exc:
        return _render(statement, "community", exc.status, exc.message)
    flash(done_message, "success")
    return redirect(url_for("statements.detail", statement_id=statement.id))


@community_bp.post("/<statement_id>/approve")
def approve(statement_id):
    return _step(statement_id, actions.do_approve, _("Approved. Pay it next, then record the payment."))


@community_bp.post("/<statement_id>/close")
def close(statement_id):
    return _step(statement_id, actions.do_close_statement, _("The statement is closed."))


@community_bp.post("/<statement_id>/credit-note")
def credit_note(statement_id):
    statement = _ours(statement_id)
    form = CreditNoteForm()
    form.amount.currency = statement.currency
    form.line.choices = [("", "")] + [(str(line.id), "") for line in lines_of(statement)]
    if not form.validate_on_submit():
        return _render(statement, "community", 422, credit=form)
    try:
        actions.do_credit_note(g.actor, statement, form.amount.minor(), form.reason.data, form.line.data or None)
    except MarketError as exc:
        if exc.field == "amount":
            form.amount.errors = [*form.amount.errors, exc.message]
            return _render(statement, "community", exc.status, credit=form)
        return _render(statement, "community", exc.status, exc.message, credit=form)
    flash(_("Credit note added. The merchant is asked to confirm the corrected statement."), "success")
    return redirect(url_for("statements.detail", statement_id=statement.id))


@community_bp.post("/<statement_id>/payment")
def record_payment(statement_id):
    statement = _ours(statement_id)
    form = PaymentForm()
    if not form.validate_on_submit():
        return _render(statement, "community", 422, payment=form)
    try:
        actions.do_record_payment(g.actor, statement, "offline", form.reference.data)
    except MarketError as exc:
        return _render(statement, "community", exc.status, exc.message, payment=form)
    flash(_("Payment recorded. The merchant sees the statement as paid."), "success")
    return redirect(url_for("statements.detail", statement_id=statement.id))


@community_bp.post("/<statement_id>/pay-stripe")
def pay_stripe(statement_id):
    statement = _ours(statement_id)
    try:
        actions.do_record_payment(g.actor, statement, "stripe")
    except MarketError as exc:
        return _render(statement, "community", exc.status, exc.message)
    flash(_("Paid by Stripe transfer."), "success")
    return redirect(url_for("statements.detail", statement_id=statement.id))


@community_bp.get("/<statement_id>/print")
def print_view(statement_id):
    return _print(_ours(statement_id), "community")


@community_bp.get("/<statement_id>/csv")
def csv_download(statement_id):
    return exports.csv_response(_ours(statement_id))


@community_bp.get("/<statement_id>/xlsx")
def xlsx_download(statement_id):
    return exports.xlsx(_ours(statement_id))


def _print(statement, side):
    from core.types import utcnow

    community, merchant = parties(statement)
    return render_template(
        "merchants/settlement/print.html", statement=statement, side=side, community_=community,
        merchant_=merchant, lines=lines_of(statement), notes=credit_notes_of(statement),
        payment=payment_of(statement), status_words=STATUS_WORDS, printed_on=utcnow())
