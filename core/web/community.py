"""Blueprints for pages under ``/c/<community>/``.

The community slug is taken from the URL before the view runs; the signed-in user must
belong to it (else 404, the same as a community that does not exist). Views read ``g.actor``
and ``g.community``; their ORM queries are already scoped to that community.
"""

from flask import Blueprint, abort, g, redirect, request, url_for
from flask_login import current_user

from core.identity.models import Role
from core.tenancy.access import Forbidden, NotFound, enter_community


def community_blueprint(name: str, import_name: str, url_prefix: str = "", **kwargs) -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix="/c/<community>" + url_prefix, **kwargs)

    @bp.url_value_preprocessor
    def _enter(endpoint, values):
        slug = values.pop("community", None)
        g.community_slug = slug
        if not current_user.is_authenticated:
            return  # the before_request below sends them to log in
        try:
            g.actor = enter_community(slug, current_user, Role.RESIDENT)
        except NotFound:
            abort(404)
        g.community = g.actor.community

    @bp.before_request
    def _require_login():
        if not current_user.is_authenticated:
            return redirect(url_for("identity.login", next=request.full_path.rstrip("?")))

    @bp.url_defaults
    def _add_slug(endpoint, values):
        if "community" not in values and getattr(g, "community_slug", None):
            values["community"] = g.community_slug

    return bp


def require_role(role: Role) -> None:
    """Inside a community view: 403 unless the actor has ``role``."""
    if not g.actor.can(role):
        abort(403)


__all__ = ["community_blueprint", "require_role", "Forbidden"]


# Tiles on the community home ("what can be done next"). Each capability adds its own with
# ``register_action(fn)``, ``fn(actor) -> list[ActionTile]``, from its init_app.
from dataclasses import dataclass  # noqa: E402


@dataclass
class ActionTile:
    label: str
    url: str
    order: int = 50


_action_providers = []


def register_action(provider):
    if provider not in _action_providers:
        _action_providers.append(provider)
    return provider


def community_actions(actor) -> list[ActionTile]:
    tiles = [tile for provider in _action_providers for tile in provider(actor)]
    return sorted(tiles, key=lambda t: t.order)
