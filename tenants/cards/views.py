"""Assisted mode (staff find a resident, then act for them) and printable resident cards."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.identity.models import Member, Role
from core.ledger.queries import balance
from core.tenancy.access import NotFound, access_member
from core.throttle import Throttled
from core.web.assisted import assisted_actions
from core.web.community import community_blueprint, require_role
from core.web.qr import qr_data_uri
from tenants.cards import queries
from tenants.cards.actions import do_replace_card
from tenants.cards.codes import display_code
from tenants.cards.forms import CardCodeForm

bp = community_blueprint("cards", __name__)


def _member_or_404(member_id) -> Member:
    try:
        return access_member(g.actor, member_id)
    except NotFound:
        abort(404)


@bp.route("/assist/", methods=["GET", "POST"])
def assist():
    """Find the resident: scan or type the card code (POST), or search (GET ?q=)."""
    require_role(Role.GRID_WORKER)
    form = CardCodeForm()
    status_code = 200
    query = request.args.get("q", "").strip()[:80]
    if form.validate_on_submit():
        keys = queries.throttle_keys(g.actor.user)
        try:
            queries.card_throttle.check(*keys)
        except Throttled as exc:
            form.code.errors.append(_("Too many codes that did not match. Wait %(seconds)d seconds.",
                                      seconds=exc.retry_after))
            status_code = 429
        else:
            member = queries.member_for_code(form.code.data)
            if member is not None:
                return redirect(url_for("cards.resident", member_id=member.id))
            queries.card_throttle.failed(*keys)
            form.code.errors.append(_("This card code does not match a current card. "
                                      "Check it, or find the resident by name below."))
            status_code = 404
    elif form.is_submitted():
        status_code = 422
    results = queries.search_members(query) if query else []
    return render_template("tenants/cards/assist.html", form=form, query=query, results=results), status_code


@bp.get("/assist/<member_id>")
def resident(member_id):
    """One resident, and what staff can do for them."""
    require_role(Role.GRID_WORKER)
    member = _member_or_404(member_id)
    return render_template("tenants/cards/resident.html", member=member, balance=balance(member),
                           tiles=assisted_actions(g.actor, member))


@bp.get("/cards/print")
def print_cards():
    """An A4 sheet of cards: the members named by ?member=, or every active resident."""
    require_role(Role.GRID_WORKER)
    chosen = request.args.getlist("member")[:200]
    if chosen:
        members = [_member_or_404(member_id) for member_id in chosen]
    else:
        members = [m for m in queries.residents() if m.role == Role.RESIDENT]
    cards = []
    for member in members:
        code = queries.current_code(member)
        cards.append({"member": member, "code": display_code(code), "qr": qr_data_uri(code, box_size=6)})
    pages = [cards[i:i + 8] for i in range(0, len(cards), 8)]
    return render_template("tenants/cards/print.html", pages=pages, count=len(cards))


@bp.post("/cards/<member_id>/replace")
def replace_card(member_id):
    require_role(Role.GRID_WORKER)
    member = _member_or_404(member_id)
    do_replace_card(member, g.actor.user)
    flash(_("The old card of %(name)s no longer works. Print the new one below.", name=member.name), "success")
    return redirect(url_for("cards.print_cards", member=member.id))


@bp.get("/cards/mine")
def my_card():
    """The resident's own card on their phone: staff can scan it like the printed one."""
    member = g.actor.member
    if member is None:
        abort(404)
    code = queries.current_code(member)
    return render_template("tenants/cards/mine.html", member=member, code=display_code(code),
                           qr=qr_data_uri(code))
