"""Evidence photos: re-encoded from pixels, turned upright, nothing else kept."""

import io

import pytest
from PIL import Image

from tenants.rules import photos
from tests.tenants.rules import photo_samples


def test_orientation_is_applied_then_dropped():
    image = Image.new("RGB", (60, 20), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, icc_profile=b"\0" * 128)
    clean = Image.open(io.BytesIO(photos.reencode(out.getvalue())))
    assert clean.size == (20, 60)
    assert not clean.getexif()
    assert "icc_profile" not in clean.info


def test_large_photos_are_scaled_down():
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (1, 2, 3)).save(out, format="JPEG")
    clean = Image.open(io.BytesIO(photos.reencode(out.getvalue())))
    assert max(clean.size) == photos.MAX_SIDE


def test_transparent_png_becomes_jpeg_on_white():
    clean = Image.open(io.BytesIO(photos.reencode(photo_samples.png_with_alpha())))
    assert clean.format == "JPEG" and clean.mode == "RGB"


@pytest.mark.parametrize("data, code", [
    (b"", "photo_empty"),
    (b"GIF89a....", "photo_not_image"),
    (photo_samples.gif(), "photo_not_image"),
    (photo_samples.SVG, "photo_not_image"),
    (photo_samples.huge_png(), "photo_too_many_pixels"),
    (b"\xff\xd8" + b"0" * photos.MAX_BYTES, "photo_too_large"),
])
def test_refusals(data, code):
    with pytest.raises(photos.PhotoError) as caught:
        photos.reencode(data)
    assert caught.value.code == code
    assert caught.value.field == "photo"


def test_read_limited_stops_at_the_limit():
    with pytest.raises(photos.PhotoError):
        photos.read_limited(io.BytesIO(b"0" * (photos.MAX_BYTES + 1)))
    assert len(photos.read_limited(io.BytesIO(b"0" * photos.MAX_BYTES))) == photos.MAX_BYTES


def test_stored_names_are_random_and_paths_cannot_escape(app, tmp_path):
    with app.app_context():
        app.config["UPLOAD_FOLDER"], old = str(tmp_path), app.config["UPLOAD_FOLDER"]
        try:
            a = photos.store("c", b"x")
            b = photos.store("c", b"y")
            assert a != b and photos.valid_name(a)
            assert photos.path_of("c", a).read_bytes() == b"x"
            for bad in ("../../etc/passwd", "x.jpg", a.replace(".jpg", ".png"), "", None):
                assert photos.path_of("c", bad) is None
            photos.remove("c", a)
            assert photos.path_of("c", a) is None
        finally:
            app.config["UPLOAD_FOLDER"] = old
