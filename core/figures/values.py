"""The kinds of value a figure can have, and how a district adds them up."""

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import get_currency_precision


@dataclass(frozen=True)
class Money:
    """An amount in a currency's minor unit (fen for CNY)."""

    minor: int
    currency: str

    @property
    def amount(self) -> Decimal:
        digits = get_currency_precision(self.currency)
        return (Decimal(self.minor) / (10 ** digits)).quantize(Decimal(1).scaleb(-digits))

    def as_json(self) -> dict:
        return {"amount": str(self.amount), "currency": self.currency}

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise ValueError("different currencies")
        return Money(self.minor + other.minor, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True)
class Ratio:
    """A figure that is a share or an average: kept as its two sums, so a district's total
    is the sum of the numerators over the sum of the denominators (not a mean of means)."""

    numerator: float
    denominator: float

    @property
    def value(self) -> float | None:
        return None if not self.denominator else self.numerator / self.denominator

    def __add__(self, other: "Ratio") -> "Ratio":
        return Ratio(self.numerator + other.numerator, self.denominator + other.denominator)


def total(values):
    """The district's total of one figure over its communities (None values are skipped).
    Money in several currencies cannot be added: the total is then None."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    result = present[0]
    for value in present[1:]:
        try:
            result = result + value
        except ValueError:
            return None
    return result


def plain(value):
    """A number for charts, spreadsheets and JSON (Money -> Decimal, Ratio -> float)."""
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, Ratio):
        return value.value
    return value
