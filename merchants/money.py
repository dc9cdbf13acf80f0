"""Money as integer minor units plus a currency: 0.10 CNY is 10 fen.

Amounts arrive as decimal strings (``{"amount": "0.10", "currency": "CNY"}``) and are parsed
exactly with ``Decimal``; an amount with more decimals than the currency's minor unit is
refused rather than rounded, so nobody's price changes silently.
"""

import re
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision
from flask_babel import gettext as _

from core.districts.actions import valid_currency

AMOUNT_PATTERN = re.compile(r"^[0-9]{1,12}(?:\.[0-9]{1,12})?$")
MAX_MINOR = 10**12


class MoneyError(ValueError):
    """An amount that cannot be taken; the message is for the person who typed it."""


def minor_digits(currency: str) -> int:
    return get_currency_precision(currency)


def parse_amount(amount, currency: str) -> int:
    """``"0.10"``, ``"CNY"`` -> 10. Raises ``MoneyError`` with a translated message."""
    if not valid_currency(currency):
        raise MoneyError(_("Unknown currency code."))
    if not isinstance(amount, str) or not AMOUNT_PATTERN.fullmatch(amount.strip()):
        raise MoneyError(_("Write the amount as digits, for example 0.10."))
    value = Decimal(amount.strip())
    digits = minor_digits(currency)
    places = -value.as_tuple().exponent
    if places > digits:
        if digits == 0:
            raise MoneyError(_("%(currency)s amounts have no decimals.", currency=currency))
        raise MoneyError(_("At most %(digits)d decimal places in %(currency)s.",
                           digits=digits, currency=currency))
    minor = int(value.scaleb(digits))
    if minor > MAX_MINOR:
        raise MoneyError(_("This amount is too large."))
    return minor


def amount_text(minor: int, currency: str) -> str:
    """10, "CNY" -> "0.10" (the API's string form)."""
    digits = minor_digits(currency)
    value = Decimal(int(minor)).scaleb(-digits)
    return f"{value:.{digits}f}"


def as_json(minor: int | None, currency: str | None) -> dict | None:
    if minor is None or currency is None:
        return None
    return {"amount": amount_text(minor, currency), "currency": currency}


def display(minor: int | None, currency: str | None, locale: str = "zh_Hans_CN") -> str:
    """For people: "¥0.10" in Chinese, "CN¥0.10" in English."""
    if minor is None or currency is None:
        return ""
    digits = minor_digits(currency)
    return format_currency(Decimal(int(minor)).scaleb(-digits), currency, locale=locale)
