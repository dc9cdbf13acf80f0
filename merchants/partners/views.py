from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_login import current_user

from core.tenancy.access import NotFound
from merchants.partners.access import enter_merchant

bp = Blueprint("merchant", __name__, url_prefix="/m/<merchant>")


@bp.url_value_preprocessor
def _enter(endpoint, values):
    slug = values.pop("merchant", None)
    g.merchant_slug = slug
    if not current_user.is_authenticated:
        return
    try:
        g.merchant_actor = enter_merchant(slug, current_user)
    except NotFound:
        abort(404)
    g.merchant = g.merchant_actor.merchant


@bp.before_request
def _require_login():
    if not current_user.is_authenticated:
        return redirect(url_for("identity.login", next=request.full_path.rstrip("?")))


@bp.url_defaults
def _add_slug(endpoint, values):
    if "merchant" not in values and getattr(g, "merchant_slug", None):
        values["merchant"] = g.merchant_slug


@bp.get("/")
def home():
    return render_template("merchants/home.html", actor=g.merchant_actor)
