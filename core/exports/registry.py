"""Kinds of background export. A capability registers its own from ``init_app``::

    register_export(ExportKind(
        name="district_members", title=..., allowed=..., parse=..., columns=...,
        count=..., batches=...))

- ``parse(form) -> params | None``: the export's parameters from the request (None: refused);
- ``allowed(user, params) -> bool``: may this user have it (checked when it is asked for,
  when it runs and whenever its page or file is read);
- ``title(params) -> str`` and ``columns(params) -> [label]``: read in the user's language;
- ``count(params) -> int``: rows to come, for the progress bar;
- ``batches(params) -> iterator of row lists``: each batch is written, then progress is
  committed (so a long export shows its progress and holds no lock for long).

Both ``count`` and ``batches`` run with no tenant scope set: they enter the scope they need
(``use_community`` or ``all_communities``) themselves, after ``allowed`` said yes.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ExportKind:
    name: str
    title: Callable
    allowed: Callable
    parse: Callable
    columns: Callable
    count: Callable
    batches: Callable


_kinds: dict[str, ExportKind] = {}


def register_export(kind: ExportKind) -> ExportKind:
    _kinds[kind.name] = kind
    return kind


def export_kind(name) -> ExportKind | None:
    return _kinds.get(name) if isinstance(name, str) else None
