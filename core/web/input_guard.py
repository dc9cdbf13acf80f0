"""Input no field may hold: the NUL character.

PostgreSQL text cannot store NUL (0x00): a value carrying one fails inside the database with
a DataError, which would be a 500. No name, slug, login or note ever needs it, so it is
refused at the door, before any view runs (and, for the URL, before any URL preprocessor
that queries by slug): in the path a 404 (nothing is named that), in the query, a form or a
JSON body a 422 (the API, naming the fields) or a 400 (pages).
"""

from flask import abort, request
from flask_babel import gettext as _

NUL = "\x00"


def _nul_fields(value):
    """The fields of ``value`` whose text (or name) holds NUL, shaped like marshmallow errors."""
    if isinstance(value, str):
        return [_("Invalid value.")] if NUL in value else None  # (marshmallow's word, translated)
    if isinstance(value, dict):
        found = {}
        for key, item in value.items():
            inner = _nul_fields(item) or (_nul_fields(key) if isinstance(key, str) else None)
            if inner:
                found[key] = inner
        return found or None
    if isinstance(value, list):
        found = {i: inner for i, item in enumerate(value) if (inner := _nul_fields(item))}
        return found or None
    return None


def refuse_nul_in_url(_endpoint, values):
    """The path and the query: before any URL preprocessor queries by slug."""
    if values and any(NUL in str(v) for v in values.values()):
        abort(404)
    errors = {key: _nul_fields(NUL) for key, value in request.args.items(multi=True)
              if NUL in key or NUL in value}
    _refuse(errors)


def refuse_nul_in_body():
    """Forms and JSON: before the view, once the blueprints have entered their community (a
    body too large for MAX_CONTENT_LENGTH then meets the blueprint's own 413 page)."""
    errors = {}
    if request.is_json:  # first: asking a JSON request for its form parses the body for none
        body = request.get_data(cache=True)
        # JSON holds NUL only escaped as \u0000, or as zero bytes (of which UTF-16 and UTF-32
        # bodies are full): without either no value can hold one, and the body, which the
        # view parses anyway, is not parsed here as well
        if b"\\u0000" in body or b"\x00" in body:
            found = _nul_fields(request.get_json(silent=True))
            if isinstance(found, dict):
                errors.update(found)
            elif found:
                errors["json"] = found
    elif request.form:
        errors.update(_nul_fields(request.form.to_dict()) or {})
    _refuse(errors)


def _refuse(errors: dict) -> None:
    if not errors:
        return
    from core.api.framework import is_api_request

    if is_api_request():
        from core.api.problems import ApiError

        raise ApiError(422, "invalid", _("Some fields are not valid."), errors=errors)
    abort(400)


def init_app(app):
    # an app-wide URL preprocessor runs before the blueprints' ones (which query by slug)
    app.url_value_preprocessor(refuse_nul_in_url)
    app.before_request(refuse_nul_in_body)
