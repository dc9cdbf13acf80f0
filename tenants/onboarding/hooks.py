"""What onboarding asks of capabilities it may not have yet (the grid, merchants):

- a building directory: ``register_buildings(find, assign)``: ``find(community_id) -> {name
  key: building id}`` (empty: the community has no grid yet) and ``assign(member, building_id)``
  (the resident lives there);
- checklist items: ``register_checklist_item(fn)``, ``fn(community) -> ChecklistItem | None``.
"""

from dataclasses import dataclass

_buildings = {}
_checklist = []


def register_buildings(find, assign) -> None:
    _buildings["find"], _buildings["assign"] = find, assign


def buildings_of(community_id) -> dict:
    find = _buildings.get("find")
    return find(community_id) if find else {}


def assign_building(member, building_id) -> bool:
    assign = _buildings.get("assign")
    if assign is None or building_id is None:
        return False
    assign(member, building_id)
    return True


@dataclass
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str
    url: str | None = None
    order: int = 50


def register_checklist_item(provider):
    if provider not in _checklist:
        _checklist.append(provider)
    return provider


def extra_checklist(community) -> list[ChecklistItem]:
    items = [provider(community) for provider in _checklist]
    return [item for item in items if item is not None]
