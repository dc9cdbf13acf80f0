"""Assisted mode: what staff can do *for* a resident once they have found them (a scanned
resident card, or a search by name, phone or number).

Each capability adds what it offers with ``register_assisted_action(provider)`` from its
init_app, where ``provider(actor, member) -> list[ActionTile]`` (shop: "order from the shop";
later: "claim a merchant voucher", "sign up for an activity", "post a work order"). The
pages those tiles lead to act with ``actor`` = the staff user and ``member`` = the resident,
and pass both to the ledger (``actor=`` and the member), so the resident's record card can
say who recorded it (``core.ledger.assisted.assisted_by``).
"""

from core.web.community import ActionTile

_providers = []


def register_assisted_action(provider):
    if provider not in _providers:
        _providers.append(provider)
    return provider


def assisted_actions(actor, member) -> list[ActionTile]:
    tiles = [tile for provider in _providers for tile in provider(actor, member)]
    return sorted(tiles, key=lambda t: t.order)
