"""Marshmallow's validation messages in the reader's language.

Marshmallow words its errors in English (some formatted when a schema is defined), so they
are translated where the API answers, in ``problems.py``: exact messages through the
catalogue, messages that carry a value through the patterns below. Every message is marked
here so that extraction puts it in the catalogue.
"""

import re

from flask_babel import gettext


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, where it is used."""
    return message


EXACT = [
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid boolean."),
    N_("Not a valid datetime."),
    N_("Not a valid date."),
    N_("Not a valid UUID."),
    N_("Not a valid list."),
    N_("Invalid type."),
    N_("Not a valid mapping type."),
    N_("Not a valid email address."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Invalid input type."),
    N_("Unknown field."),
    N_("String does not match expected pattern."),
    N_("Unknown time zone."),
    N_("Unknown currency code."),
]

# (pattern of marshmallow's English, translatable message with named values)
PATTERNS = [
    (re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"), N_("Longer than %(max)s characters.")),
    (re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"), N_("Shorter than %(min)s characters.")),
    (re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"),
     N_("Must be %(min)s to %(max)s characters long.")),
    (re.compile(r"^Length must be (?P<equal>\d+)\.$"), N_("Must be exactly %(equal)s characters long.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.$"),
     N_("Must be between %(min)s and %(max)s.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>\S+)\.$"), N_("Must be at least %(min)s.")),
    (re.compile(r"^Must be less than or equal to (?P<max>\S+)\.$"), N_("Must be at most %(max)s.")),
    (re.compile(r"^Must be greater than (?P<min>\S+)\.$"), N_("Must be more than %(min)s.")),
    (re.compile(r"^Must be less than (?P<max>\S+)\.$"), N_("Must be less than %(max)s.")),
    (re.compile(r"^Must be one of: (?P<choices>.+)\.$"), N_("Must be one of: %(choices)s.")),
]


def translate(message):
    if not isinstance(message, str):
        return message
    for pattern, template in PATTERNS:
        match = pattern.match(message)
        if match:
            return gettext(template, **match.groupdict())
    return gettext(message)


def translate_errors(errors):
    """Translate every message in marshmallow's nested error structure."""
    if isinstance(errors, dict):
        return {key: translate_errors(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [translate_errors(item) for item in errors]
    return translate(errors)
