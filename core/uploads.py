"""Photos uploaded by people (a hazard, a repair done): checked, re-encoded, stored privately.

An upload is accepted only if Pillow decodes it as JPEG, PNG or WebP, at most 5 MB and
40 megapixels. It is then drawn again as a fresh JPEG (turned upright first, at most 2048
px a side), so no metadata of the original (EXIF with the GPS position, camera, comments)
and nothing appended after the image survives. Files live under
``UPLOAD_FOLDER/<community id>/<folder>/`` with random names and are served only through
routes that check access to what they belong to, never as static files.
"""

import io
import os
import secrets
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
NAME_HEX = 32


class UploadRefused(Exception):
    """``too_large``, ``empty``, ``not_image``, ``too_many_pixels``."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    @property
    def message(self) -> str:
        return {
            "too_large": _("The photo is larger than 5 MB."),
            "empty": _("The photo is empty."),
            "not_image": _("This is not a JPEG, PNG or WebP photo."),
            "too_many_pixels": _("The photo has too many pixels."),
        }.get(self.code, _("This photo cannot be used."))


def read_limited(stream) -> bytes:
    """Read an upload, refusing it as soon as it passes ``MAX_BYTES``."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise UploadRefused("too_large")
    if not data:
        raise UploadRefused("empty")
    return data


def clean_image(data: bytes) -> bytes:
    """A clean JPEG of the uploaded image, or ``UploadRefused``."""
    if not data:
        raise UploadRefused("empty")
    if len(data) > MAX_BYTES:
        raise UploadRefused("too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise UploadRefused("too_many_pixels")
                image.load()
                return _as_jpeg(ImageOps.exif_transpose(image))
    except UploadRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, ValueError, SyntaxError, EOFError) as exc:
        raise UploadRefused("not_image") from exc


def _as_jpeg(image: Image.Image) -> bytes:
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    else:
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)  # no exif=, icc_profile=, comment=
    return out.getvalue()


def _root() -> Path:
    configured = current_app.config.get("UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def _folder(community_id, folder: str) -> Path:
    return _root() / str(community_id) / folder


def store(community_id, folder: str, jpeg: bytes) -> str:
    """Write a cleaned photo under a new random name; return the name."""
    path = _folder(community_id, folder)
    path.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(NAME_HEX // 2) + ".jpg"
    temporary = path / (name + ".part")
    temporary.write_bytes(jpeg)
    os.replace(temporary, path / name)
    return name


def save_upload(community_id, folder: str, file_storage) -> str:
    """Read, check, clean and store an uploaded file (a werkzeug ``FileStorage``)."""
    return store(community_id, folder, clean_image(read_limited(file_storage.stream)))


def valid_name(name) -> bool:
    stem, _dot, ext = (name or "").partition(".")
    return ext == "jpg" and len(stem) == NAME_HEX and all(c in "0123456789abcdef" for c in stem)


def path_of(community_id, folder: str, name) -> Path | None:
    if not valid_name(name):
        return None
    path = _folder(community_id, folder) / name
    return path if path.is_file() else None
