"""QR codes as PNG, for pickup codes, resident cards and (later) vouchers.

Error correction M survives a smudged or creased card; the quiet zone is the standard four
modules so cheap phone cameras find the code.
"""

import base64
import io

import qrcode
from flask import Response
from qrcode.constants import ERROR_CORRECT_M


def qr_png(text: str, box_size: int = 10) -> bytes:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_data_uri(text: str, box_size: int = 8) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(text, box_size)).decode()


def qr_response(text: str) -> Response:
    response = Response(qr_png(text), mimetype="image/png")
    # The picture is a secret (a pickup code, a card): never kept by shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response
