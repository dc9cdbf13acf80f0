"""Wire logs, request ids, metrics and the proxy settings into the app.

Listed first in ``core.app.CAPABILITIES``: the request id exists before any other code logs,
and the after-request hook registered first runs last, so it sees the final status.
"""

import logging
import re
import time
import uuid

from flask import g, request, request_started
from werkzeug.middleware.proxy_fix import ProxyFix

from core.observability import metrics, views
from core.observability.logs import configure_logging

# An incoming X-Request-ID is kept only if it cannot forge a log line or a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
REQUEST_ID_HEADER = "X-Request-ID"
access_log = logging.getLogger("linli.access")


def init_app(app):
    configure_logging(app)
    hops = app.config.get("PROXY_COUNT") or 0
    if hops:
        # nginx sets X-Forwarded-For/-Proto/-Host: the client's address then reaches the
        # login throttle, the logs and the /metrics loopback rule instead of nginx's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    # request_started comes before every url_value_preprocessor and before_request, so the
    # duration includes entering the community, and the id is there for their log lines.
    request_started.connect(_start_request, app)
    app.after_request(_finish_request)
    app.register_blueprint(views.bp)
    metrics.connect_celery_signals()


def request_id_from(header_value: str | None) -> str:
    if header_value and SANE_REQUEST_ID.fullmatch(header_value):
        return header_value
    return uuid.uuid4().hex


def _start_request(sender, **_extra):
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def _finish_request(response):
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    rule = request.url_rule.rule if request.url_rule is not None else None
    metrics.observe_request(rule, request.method, response.status_code, seconds)
    response.headers[REQUEST_ID_HEADER] = g.get("request_id") or request_id_from(None)
    access_log.info(
        "%s %s %s", request.method, request.path, response.status_code,
        extra={"status": response.status_code, "duration_ms": round(seconds * 1000, 2)},
    )
    return response
