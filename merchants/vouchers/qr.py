"""The QR code on a voucher page: an SVG drawn on the server (no script, no outside service).
It holds the grouped code only, in QR's alphanumeric mode (digits, capitals and "-"), so any
phone camera reads it as the same text a person would type."""

import re

import qrcode
import qrcode.image.svg
from markupsafe import Markup, escape


def qr_svg(text: str, label: str) -> Markup:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2)
    svg = svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{escape(label)}" ', 1)
    return Markup(svg)
