"""Blueprints for pages under a tenant's slug: ``/c/<community>``, ``/m/<merchant>``,
``/d/<district>``.

The slug is taken from the URL before the view runs. A signed-in user is handed, with it, to
``enter(slug, user)``, which sets what the views read on ``g`` (and the tenant scope), or
raises ``NotFound`` where the user has no place: 404, the same answer as a tenant that does
not exist. Anyone else is sent to log in first. ``url_for`` inside fills the slug in.
"""

from collections.abc import Callable

from flask import Blueprint, abort, g, redirect, request, url_for
from flask_login import current_user

from core.tenancy.access import NotFound


def tenant_blueprint(name: str, import_name: str, *, path: str, argument: str,
                     enter: Callable[[str, object], None], url_prefix: str = "", **kwargs) -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix=f"/{path}/<{argument}>" + url_prefix, **kwargs)
    slug_name = f"{argument}_slug"

    @bp.url_value_preprocessor
    def _enter(endpoint, values):
        slug = values.pop(argument, None)
        setattr(g, slug_name, slug)
        if not current_user.is_authenticated:
            return  # the before_request below sends them to log in
        try:
            enter(slug, current_user)
        except NotFound:
            abort(404)

    @bp.before_request
    def _require_login():
        if not current_user.is_authenticated:
            return redirect(url_for("identity.login", next=request.full_path.rstrip("?")))

    @bp.url_defaults
    def _add_slug(endpoint, values):
        if argument not in values and getattr(g, slug_name, None):
            values[argument] = getattr(g, slug_name)

    return bp
