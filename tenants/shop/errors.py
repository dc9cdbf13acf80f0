"""What can go wrong in the shop, with a stable code and words for people.

Views and the API raise nothing of their own: they catch these and answer with the status
and the translated message.
"""

from flask_babel import format_datetime
from flask_babel import gettext as _


class ShopError(Exception):
    code = "shop_error"
    status = 409
    field: str | None = None

    def __init__(self, **details):
        super().__init__(self.code)
        self.details = details

    def message(self) -> str:
        return _("This cannot be done now.")


class UnknownItem(ShopError):
    code, status, field = "unknown_item", 422, "item"

    def message(self):
        return _("There is no such item in this shop.")


class ItemUnavailable(ShopError):
    code, field = "item_unavailable", "item"

    def message(self):
        return _("This item is not on offer at the moment.")


class InvalidQuantity(ShopError):
    code, status, field = "invalid_quantity", 422, "quantity"

    def message(self):
        return _("The quantity must be a whole number from 1 to %(most)d.", most=self.details["most"])


class OutOfStock(ShopError):
    code = "out_of_stock"

    def message(self):
        left = self.details.get("stock", 0)
        if left:
            return _("Only %(left)d left: please ask for fewer.", left=left)
        return _("Sorry, this item is sold out.")


class ShopClosed(ShopError):
    code = "shop_closed"

    def message(self):
        opens = self.details.get("next_opening")
        if opens is not None:
            return _("The shop is closed now. It opens again on %(when)s.",
                     when=format_datetime(opens, "full"))
        return _("The shop is closed now.")


class LimitReached(ShopError):
    code = "limit_reached"

    def message(self):
        return _("You can take at most %(limit)d of this item each time the shop opens; "
                 "you have %(taken)d already.", limit=self.details["limit"], taken=self.details["taken"])


class InsufficientPoints(ShopError):
    code = "insufficient_points"

    def message(self):
        return _("Not enough points: this costs %(needed)d, the balance is %(balance)d.",
                 needed=self.details["needed"], balance=self.details["balance"])


class OrderNotOpen(ShopError):
    """Collecting or cancelling an order that was already collected, cancelled or expired."""

    code = "order_closed"

    def message(self):
        status = self.details.get("status")
        words = {
            "collected": _("This order was already handed over."),
            "cancelled": _("This order was cancelled."),
            "expired": _("This order expired and its points were returned."),
        }
        return words.get(status, _("This order is no longer open."))


class IdempotencyKeyReused(ShopError):
    code = "idempotency_key_reused"

    def message(self):
        return _("This Idempotency-Key was used with a different request.")


class InvalidPhoto(ShopError):
    code, status, field = "invalid_photo", 422, "photo"

    def message(self):
        reason = self.details.get("reason")
        if reason == "too_large":
            return _("The photo is larger than 5 MB.")
        return _("The photo must be a JPEG, PNG or WebP picture.")
