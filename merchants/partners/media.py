"""Photos of shops and offers, served by the app (no CDN). Ids are random enough (UUIDv7,
74 random bits) that a photo's address cannot be guessed; photos hold nothing private."""

from flask import Blueprint, abort, make_response
from sqlalchemy import select

from core.extensions import db
from core.ids import parse_id
from merchants.partners.models import MerchantImage

bp = Blueprint("merchant_media", __name__)


@bp.get("/media/<image_id>.jpg")
def image(image_id):
    image_id = parse_id(image_id)
    row = image_id and db.session.execute(
        select(MerchantImage.data, MerchantImage.content_type).where(MerchantImage.id == image_id)).first()
    if not row:
        abort(404)
    data, content_type = row
    response = make_response(data)
    response.headers["Content-Type"] = content_type
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
