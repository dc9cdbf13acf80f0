"""Item photos: only JPEG, PNG or WebP up to 5 MB are accepted, and what is stored is a new
JPEG drawn from the decoded pixels (at most 1200 px a side): no EXIF (location, camera), no
ICC or text chunks, no trailing bytes survive, and a file that only claims to be a picture
fails to decode and is refused."""

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from tenants.shop.errors import InvalidPhoto

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1200
ACCEPTED = {"JPEG", "PNG", "WEBP"}
# Decompression bombs: a small file that decodes to billions of pixels.
MAX_PIXELS = 40_000_000


def reencode(data: bytes) -> bytes:
    if not data:
        raise InvalidPhoto(reason="empty")
    if len(data) > MAX_BYTES:
        raise InvalidPhoto(reason="too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in ACCEPTED:
                    raise InvalidPhoto(reason="format")
                if image.width * image.height > MAX_PIXELS:
                    raise InvalidPhoto(reason="format")
                image.load()
                image = ImageOps.exif_transpose(image)
                image = _flatten(image)
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                image.save(out, format="JPEG", quality=85, optimize=True)
                return out.getvalue()
    except InvalidPhoto:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidPhoto(reason="format") from exc


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent PNG/WebP onto white; palette and other modes to plain RGB."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
