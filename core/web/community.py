"""Blueprints for pages under ``/c/<community>/``.

The community slug is taken from the URL before the view runs; the signed-in user must
belong to it (else 404, the same as a community that does not exist). Views read ``g.actor``
and ``g.community``; their ORM queries are already scoped to that community.
"""

from flask import Blueprint, abort, g

from core.identity.models import Role
from core.tenancy.access import Forbidden, enter_community
from core.web.tenant_pages import tenant_blueprint


def community_blueprint(name: str, import_name: str, url_prefix: str = "", **kwargs) -> Blueprint:
    def enter(slug, user):
        g.actor = enter_community(slug, user, Role.RESIDENT)
        g.community = g.actor.community

    return tenant_blueprint(name, import_name, path="c", argument="community", enter=enter,
                            url_prefix=url_prefix, **kwargs)


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
