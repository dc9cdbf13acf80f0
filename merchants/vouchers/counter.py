"""The counter's throttle: codes that name no voucher of this merchant (malformed, mistyped,
unknown, another merchant's) count as failures, at most 20 a minute per merchant user and
per address. Successes and "already redeemed" do not count, so a busy till is never slowed."""

from flask import request
from flask_babel import gettext as _

from core.throttle import FailureThrottle, Throttled
from merchants.errors import MarketError


class CounterThrottle(FailureThrottle):
    def keys(self, user) -> tuple[str, str]:
        return (f"user:{user.id}", f"addr:{request.remote_addr}")


counter_throttle = CounterThrottle("counter-failures", "20/minute")


def at_counter(user, attempt):
    """Run ``attempt()`` under the throttle: 429 when too many failures, count unknown codes."""
    keys = counter_throttle.keys(user)
    try:
        counter_throttle.check(*keys)
    except Throttled as exc:
        raise MarketError(
            "too_many_requests",
            _("Too many codes that were not valid. Try again in %(seconds)d seconds.",
              seconds=exc.retry_after),
            status=429, retry_after=exc.retry_after,
        ) from exc
    try:
        return attempt()
    except MarketError as exc:
        if exc.code == "unknown_code":
            counter_throttle.failed(*keys)
        raise
