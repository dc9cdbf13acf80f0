"""Throttles that count failures, never successes.

``FailureThrottle("login", "10/5 minutes")``: ``check(*keys)`` before the attempt raises
``Throttled`` (with the seconds to wait) when any key has failed too often; ``failed(*keys)``
after a failed attempt counts it. The counters live in ``RATELIMIT_STORAGE_URI`` (memory on
a laptop, Redis in production), shared by every worker.

The ``limits`` library directly, not Flask-Limiter on top of it: nothing here limits requests
as such, and Flask-Limiter's hooks ran on every request to find no limits (measured on the
counter's redemption, the API's hot path).
"""

import math
import time
from dataclasses import dataclass

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter


def init_app(app) -> None:
    storage = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    app.extensions["throttles"] = FixedWindowRateLimiter(storage)


def reset(app) -> None:
    """Forget every count (tests)."""
    app.extensions["throttles"].storage.reset()


class Throttled(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


@dataclass
class FailureThrottle:
    name: str
    rate: str

    @property
    def _item(self):
        return parse(self.rate)

    def _strategy(self):
        return current_app.extensions["throttles"]

    def check(self, *keys: str) -> None:
        strategy, item = self._strategy(), self._item
        for key in keys:
            if not strategy.test(item, self.name, key):
                reset_at, _ = strategy.get_window_stats(item, self.name, key)
                raise Throttled(max(1, math.ceil(reset_at - time.time())))

    def failed(self, *keys: str) -> None:
        strategy, item = self._strategy(), self._item
        for key in keys:
            strategy.hit(item, self.name, key)
