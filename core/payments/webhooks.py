"""``POST /webhooks/stripe``: Stripe tells us what changed.

In order: the signature (``Stripe-Signature``, any of the configured endpoint secrets:
the platform's and the Connect endpoint's), the pinned API version, the event type (only those
a capability handles), a duplicate event id (already acted on: nothing more), then the
handler, which looks up our row by its Stripe id and answers ``"unknown"`` (200, nothing done)
for an object that is not ours. No session and no CSRF: the signature is the authentication.

Unhandled types answer 200 with ``ignored``: Stripe disables an endpoint that keeps failing,
and an event we never subscribed to is not an error of the sender.
"""

import json
import logging
from collections.abc import Callable

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from core.api.problems import problem_response
from core.extensions import db
from core.ids import new_id
from core.payments.models import StripeEvent
from core.types import utcnow

log = logging.getLogger(__name__)
bp = Blueprint("stripe_webhooks", __name__)

# event type -> handler(obj: dict, event: dict) -> "applied" | "unknown" | "stale"
_handlers: dict[str, Callable[[dict, dict], str]] = {}


def on_event(*types: str):
    def register(fn):
        for name in types:
            _handlers[name] = fn
        return fn
    return register


def handled_types() -> set[str]:
    return set(_handlers)


def _secrets() -> list[str]:
    config = current_app.config
    return [s for s in (config.get("STRIPE_WEBHOOK_SECRET"),
                        config.get("STRIPE_CONNECT_WEBHOOK_SECRET")) if s]


@bp.post("/webhooks/stripe")
def receive():
    secrets = _secrets()
    if not secrets:
        return problem_response(404, "stripe_not_configured",
                                _("Stripe webhooks are not set up on this server."))
    signature = request.headers.get("Stripe-Signature")
    if not signature:
        return problem_response(400, "signature_missing", _("The Stripe-Signature header is missing."))
    from core.payments.stripe_gateway import API_VERSION, verify_signature

    try:
        text = verify_signature(request.get_data(cache=False), signature, secrets)
    except ValueError as exc:
        log.warning("stripe webhook refused: %s", exc)
        return problem_response(400, "signature_invalid", _("The Stripe signature does not match."))
    try:
        event = json.loads(text)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return problem_response(400, "malformed_event", _("The event is not a JSON object."))
    version = event.get("api_version")
    if version != API_VERSION:
        log.error("stripe webhook of API version %s, pinned %s: recreate the endpoint",
                  version, API_VERSION)
        return problem_response(
            400, "api_version_mismatch",
            _("This endpoint reads Stripe API version %(pinned)s; the event is of version %(got)s.",
              pinned=API_VERSION, got=str(version)))
    event_id, kind = event.get("id"), event.get("type")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(event_id, str) or not isinstance(kind, str) or not isinstance(obj, dict):
        return problem_response(400, "malformed_event", _("The event has no id, type or object."))
    event_id = event_id[:255]
    handler = _handlers.get(kind)
    if handler is None:
        return {"received": True, "result": "ignored"}
    return {"received": True, "result": _act(event_id, kind, handler, obj, event)}


def _act(event_id, kind, handler, obj, event) -> str:
    """The handler's effect and the event's id commit together, or neither does (a failed
    handler leaves the event unrecorded, so Stripe's retry runs it again)."""
    session = db.session
    try:
        with session.begin_nested():
            session.execute(insert(StripeEvent).values(
                id=new_id(), created_at=utcnow(), event_id=event_id, type=kind[:100],
                outcome="pending"))
    except IntegrityError:
        session.rollback()
        return "duplicate"
    try:
        outcome = handler(obj, event)
        session.execute(StripeEvent.__table__.update()
                        .where(StripeEvent.event_id == event_id).values(outcome=outcome))
        session.commit()
    except IntegrityError:
        session.rollback()  # the same event, committed by a concurrent delivery
        return "duplicate"
    except BaseException:
        session.rollback()
        raise
    return outcome
