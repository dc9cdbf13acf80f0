"""Photos of work orders (what was seen, what was done).

Checking and re-encoding are the rules capability's (``tenants.rules.photos``: JPEG, PNG or
WebP up to 5 MB, drawn again as a clean JPEG without metadata); only where the files live
differs: ``UPLOAD_FOLDER/<community id>/workorders/``, random names, served only through the
order's access-checked route.
"""

import os
import secrets
from pathlib import Path

from flask import current_app

from tenants.rules.errors import message
from tenants.rules.photos import PhotoError, read_limited, reencode, valid_name

__all__ = ["PhotoError", "message", "save_upload", "path_of", "discard"]


def _folder(community_id) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / str(community_id) / "workorders"


def save_upload(community_id, file_storage) -> str:
    """Check, clean and store an upload (a werkzeug ``FileStorage``); ``PhotoError`` if refused."""
    jpeg = reencode(read_limited(file_storage.stream))
    folder = _folder(community_id)
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + ".jpg"
    temporary = folder / (name + ".part")
    temporary.write_bytes(jpeg)
    os.replace(temporary, folder / name)
    return name


def path_of(community_id, name) -> Path | None:
    if not valid_name(name):
        return None
    path = _folder(community_id) / name
    return path if path.is_file() else None


def discard(community_id, name) -> None:
    """Remove a stored photo that its step then refused (nothing is left behind)."""
    path = path_of(community_id, name)
    if path is not None:
        path.unlink(missing_ok=True)
