"""Sending outbox messages: a pluggable backend chosen by ``NOTIFICATIONS_BACKEND``.

- ``console`` (the default): writes the message to the log; nothing leaves the machine.
- ``memory``: keeps messages in ``MemoryBackend.sent`` (tests).
- ``package.module:Class``: any class with ``send(message: Outgoing)``; an SMS gateway
  adapter lives outside core and is named here.

A backend raises ``DeliveryFailed`` for a failure worth retrying (a timeout, a 5xx) and
``Undeliverable`` for one that is not (a malformed number): the task retries the first
with backoff and gives up on the second at once.
"""

import importlib
import logging
from dataclasses import dataclass

from flask import current_app

log = logging.getLogger("linli.outbox")


class DeliveryFailed(Exception):
    """Temporary: try again later."""


class Undeliverable(Exception):
    """Permanent: retrying will not help."""


@dataclass(frozen=True)
class Outgoing:
    channel: str
    address: str
    text: str
    key: str  # stable per message: a gateway that supports it can drop duplicates


class ConsoleBackend:
    def send(self, message: Outgoing) -> None:
        log.info("outbox %s to %s: %s (%s)", message.channel, message.address, message.text, message.key)


class MemoryBackend:
    sent: list[Outgoing] = []
    # Tests set this to make the next sends fail: a number of temporary failures to raise.
    fail_next: int = 0

    def send(self, message: Outgoing) -> None:
        if MemoryBackend.fail_next > 0:
            MemoryBackend.fail_next -= 1
            raise DeliveryFailed("simulated gateway timeout")
        MemoryBackend.sent.append(message)


BUILTIN = {"console": ConsoleBackend, "memory": MemoryBackend}


def backend():
    name = current_app.config.get("NOTIFICATIONS_BACKEND") or "console"
    if name in BUILTIN:
        return BUILTIN[name]()
    module, _sep, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)()
