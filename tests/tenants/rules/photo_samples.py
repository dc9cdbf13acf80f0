"""Images for upload tests, made in memory."""

import io

from PIL import Image


def jpeg_with_exif(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "TellTale 1.0"  # Software
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"hidden comment")
    return out.getvalue()


def png_with_alpha() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (255, 0, 0, 128)).save(out, format="PNG")
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 200, 0)).save(out, format="WEBP")
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, format="GIF")
    return out.getvalue()


def huge_png(side=8000) -> bytes:
    """64 million pixels of one colour: a few hundred kB on disk, 190 MB decoded."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG", optimize=True)
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
