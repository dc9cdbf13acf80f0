"""``/metrics`` for Prometheus: never public.

A scrape from loopback is always answered (Prometheus or an agent on the same machine);
from anywhere else only with ``Authorization: Bearer <METRICS_TOKEN>``. Behind nginx, the
client address is the real one only when ``PROXY_COUNT`` trusts nginx's X-Forwarded-For
(``setup.py``); otherwise every request would look like loopback, which is why the shipped
nginx config also refuses /metrics from outside.
"""

import hmac
import ipaddress

from flask import Blueprint, Response, current_app, request

from core.observability.metrics import exposition

bp = Blueprint("observability", __name__)


@bp.get("/metrics")
def metrics():
    if not scrape_allowed():
        return Response(
            "forbidden\n", 403, mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body, content_type = exposition()
    return Response(body, 200, content_type=content_type, headers={"Cache-Control": "no-store"})


def scrape_allowed() -> bool:
    if is_loopback(request.remote_addr):
        return True
    token = current_app.config.get("METRICS_TOKEN")
    scheme, _sep, offered = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(
        offered.strip().encode(), token.encode()
    )


def is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback
