"""Photos of shops and offers: whatever a phone uploads is checked and re-encoded as a
modest JPEG (no EXIF location, no oversized files), then served by the app itself."""

import io

from flask import abort, make_response
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from core.extensions import db
from merchants.errors import MarketError
from merchants.partners.models import MerchantImage

MAX_SIDE = 1200
MAX_PIXELS = 40_000_000


def store_image(merchant_id, upload: bytes) -> MerchantImage:
    try:
        with Image.open(io.BytesIO(upload)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise MarketError("invalid", _("This picture is too large."), status=422, field="photo")
            probe.verify()
        with Image.open(io.BytesIO(upload)) as img:
            img = ImageOps.exif_transpose(img).convert("RGB")
            img.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            img.save(out, "JPEG", quality=82, optimize=True)
            width, height = img.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise MarketError("invalid", _("This file is not a picture we can read (use JPEG or PNG)."),
                          status=422, field="photo") from exc
    image = MerchantImage(merchant_id=merchant_id, content_type="image/jpeg", width=width,
                          height=height, data=out.getvalue())
    db.session.add(image)
    db.session.flush()
    return image


def image_response(image_id):
    """The stored picture, for a route that has already checked who may see it."""
    row = image_id and db.session.execute(
        select(MerchantImage.data, MerchantImage.content_type).where(MerchantImage.id == image_id)).first()
    if not row:
        abort(404)
    response = make_response(row[0])
    response.headers["Content-Type"] = row[1]
    # a new picture gets a new id, so what is cached never goes stale
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
