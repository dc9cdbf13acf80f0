"""Structured logs: one JSON object per line, carrying the request (or task) it came from.

Only the standard library: ``json.dumps`` of a dict per record. The context is read when a
record is formatted, without touching the database: the user is whatever the request already
loaded (``g._login_user`` from the cookie session, ``g.api_user`` from a bearer token), the
community is the tenant scope (``core.tenancy.context``), set in requests and in tasks alike.
"""

import json
import logging
import sys
from datetime import UTC, datetime

FIELDS = (
    "time", "level", "logger", "message",
    "request_id", "community", "user", "path", "status", "duration_ms",
)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """Every key of ``FIELDS`` on every line (null when unknown), plus ``exc`` and ``task``
    when there is one, so a log shipper can rely on the shape."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **log_context(),
            "status": getattr(record, "status", None),
            "duration_ms": getattr(record, "duration_ms", None),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        elif record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def log_context() -> dict:
    context = {"request_id": None, "community": None, "user": None, "path": None}
    try:
        _request_context(context)
        _task_context(context)
        from core.tenancy.context import current_community_id

        community = current_community_id()
        context["community"] = str(community) if community else None
    except Exception:  # a log line must never fail because its context could not be read
        pass
    return context


def _request_context(context: dict) -> None:
    from flask import g, has_request_context, request

    if not has_request_context():
        return
    context["request_id"] = g.get("request_id")
    context["path"] = request.path
    user = g.get("api_user") or g.get("_login_user")
    # ``is_anonymous``, not ``is_authenticated``: the latter reads ``User.active``, which after a
    # commit reloads from the database, opening a transaction (on SQLite, the write lock)
    # from inside a log call.
    if user is not None and getattr(user, "is_anonymous", True) is False:
        from sqlalchemy import inspect

        # the identity key, not ``user.id``: an expired instance would reload from the database
        identity = inspect(user).identity
        context["user"] = str(identity[0]) if identity else None


def _task_context(context: dict) -> None:
    from celery import current_task

    if current_task and current_task.request.id:
        if context["request_id"] is None:  # an eager task inside a request keeps the request's
            context["request_id"] = current_task.request.id
        context["task"] = current_task.name


def configure_logging(app) -> logging.Handler:
    """One handler on the root logger (idempotent: ``create_app`` may run many times)."""
    from flask.logging import default_handler

    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_linli", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._linli = True
        root.addHandler(handler)
    if app.config.get("LOG_FORMAT", "json") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    app.logger.removeHandler(default_handler)  # the root handler has it: no doubled lines
    return handler


def linli_handler() -> logging.Handler | None:
    return next((h for h in logging.getLogger().handlers if getattr(h, "_linli", False)), None)
