"""Evidence photos: checked, re-encoded and stored with random names per community.

An upload is accepted only if Pillow decodes it as JPEG, PNG or WebP within the size limits;
it is then drawn again as a fresh JPEG (turned upright first), so no metadata of the
original (EXIF with GPS position, camera, comments), and nothing hidden after the image,
survives. Files live under ``UPLOAD_FOLDER/<community id>/claims/`` with random names and
are served only through an access-checked route, never as static files.
"""

import io
import os
import secrets
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from tenants.rules.errors import RulesError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 7000 x 5700 photo; far above any phone camera's output
MAX_SIDE = 2048  # stored size: plenty to read a receipt or see a repaired tap
NAME_LENGTH = 32


class PhotoError(RulesError):
    """``photo_too_large``, ``photo_empty``, ``photo_not_image``, ``photo_too_many_pixels``."""

    def __init__(self, code: str):
        super().__init__(code, field="photo")


def read_limited(stream) -> bytes:
    """Read an upload, refusing it as soon as it passes ``MAX_BYTES``."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoError("photo_too_large")
    if not data:
        raise PhotoError("photo_empty")
    return data


def reencode(data: bytes) -> bytes:
    """A clean JPEG of the uploaded image, or ``PhotoError``."""
    if len(data) > MAX_BYTES:
        raise PhotoError("photo_too_large")
    if not data:
        raise PhotoError("photo_empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise PhotoError("photo_too_many_pixels")
                image.load()
                upright = ImageOps.exif_transpose(image)
                return _as_jpeg(upright)
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError("photo_not_image") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or corrupt data
        raise PhotoError("photo_not_image") from exc


def _as_jpeg(image: Image.Image) -> bytes:
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    else:
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    # A new image from the pixels alone: Pillow would otherwise carry parts of ``info``
    # (a JPEG comment, for one) into the saved file.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


# --- storage ----------------------------------------------------------------------------------


def _folder(community_id) -> Path:
    root = Path(current_app.config["UPLOAD_FOLDER"])
    return root / str(community_id) / "claims"


def valid_name(name: str) -> bool:
    stem, _dot, ext = (name or "").partition(".")
    return ext == "jpg" and len(stem) == NAME_LENGTH and all(c in "0123456789abcdef" for c in stem)


def store(community_id, jpeg: bytes) -> str:
    """Write the photo under a new random name; return the name."""
    folder = _folder(community_id)
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(NAME_LENGTH // 2) + ".jpg"
    temporary = folder / (name + ".part")
    temporary.write_bytes(jpeg)
    os.replace(temporary, folder / name)
    return name


def path_of(community_id, name: str) -> Path | None:
    if not valid_name(name):
        return None
    path = _folder(community_id) / name
    return path if path.is_file() else None


def remove(community_id, name: str) -> None:
    path = path_of(community_id, name)
    if path is not None:
        path.unlink(missing_ok=True)
