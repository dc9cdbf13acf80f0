"""Structured logs, request ids, /metrics and its access rule, task and domain metrics."""

import io
import json
import logging

import pytest
from flask import Flask
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from core.observability import metrics as m
from core.observability.logs import FIELDS, configure_logging, linli_handler


@pytest.fixture
def log_lines(app):
    """The lines the app's real root handler writes, parsed as JSON one by one."""
    # Alembic's fileConfig (migrations/env.py, run in this process by the migration tests)
    # replaces the root handlers and disables every logger that exists: set up again what
    # create_app sets up, as a fresh process would have it.
    configure_logging(app)
    for logger in logging.root.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            logger.disabled = False
    handler = linli_handler()
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        handler.setStream(previous)


def _sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_access_line_is_one_json_object_with_every_field(web, world, log_lines):
    web.login("c1_red")
    response = web.get(f"/c/{world.slugs['c1']}/", headers={"X-Request-ID": "trace-0001"})
    assert response.status_code == 200
    access = [
        line for line in log_lines()
        if line["logger"] == "linli.access" and line["request_id"] == "trace-0001"
    ]
    assert len(access) == 1
    line = access[0]
    assert set(FIELDS) <= set(line)
    assert line["level"] == "INFO"
    assert line["path"] == f"/c/{world.slugs['c1']}/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], int | float) and line["duration_ms"] >= 0
    assert line["community"] == str(world.ids["c1"])
    assert line["user"] == str(world.ids["user:c1_red"])
    assert line["time"].endswith("+00:00")


def test_lines_logged_inside_a_request_carry_its_id_and_outside_carry_none(app, log_lines):
    probe = logging.getLogger("linli.test.probe")
    with app.test_request_context("/somewhere", headers={"X-Request-ID": "inner-42"}):
        # the id is set when a request starts (request_started): simulate it as Flask does
        from flask import request_started

        request_started.send(app)
        probe.warning("inside %s", "a request")
    probe.error("outside")
    lines = [line for line in log_lines() if line["logger"] == "linli.test.probe"]
    assert [(x["message"], x["request_id"], x["path"]) for x in lines] == [
        ("inside a request", "inner-42", "/somewhere"),
        ("outside", None, None),
    ]
    assert all(set(FIELDS) <= set(x) for x in lines)


def test_exception_is_logged_inside_the_json_object(log_lines):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("linli.test.exc").exception("it failed")
    (line,) = [x for x in log_lines() if x["logger"] == "linli.test.exc"]
    assert line["level"] == "ERROR"
    assert "ValueError: boom" in line["exc"]


def test_sane_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-DEF_1.2:3"})
    assert response.headers["X-Request-ID"] == "abc-DEF_1.2:3"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", "<script>", ""])
def test_insane_request_id_is_replaced(client, bad):
    response = client.get("/healthz", headers={"X-Request-ID": bad})
    echoed = response.headers["X-Request-ID"]
    assert echoed != bad
    assert len(echoed) == 32 and int(echoed, 16) >= 0


def test_every_request_gets_its_own_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second


def _scrape(client, **kwargs):
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def test_metrics_has_the_latency_histogram_by_url_rule(client, web, world):
    key = ("linli_http_request_duration_seconds_count",
           (("method", "GET"), ("route", "/c/<community>/"), ("status", "200")))
    before = _scrape(client).get(key, 0.0)
    web.login("c2_blue")
    assert web.get(f"/c/{world.slugs['c2']}/").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    samples = _scrape(client)
    assert samples[key] == before + 1
    bucket = ("linli_http_request_duration_seconds_bucket",
              (("le", "+Inf"), ("method", "GET"), ("route", "/c/<community>/"), ("status", "200")))
    assert samples[bucket] == samples[key]
    routes = {dict(labels).get("route") for (name, labels) in samples if name.startswith("linli_http")}
    assert "<unmatched>" in routes
    assert not any(world.slugs["c2"] in (r or "") for r in routes), "raw paths must not be labels"


def test_metrics_answers_loopback_only_without_a_token(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 403
    assert b"linli_http" not in outside.data


def test_metrics_from_outside_needs_the_bearer_token(app, client, monkeypatch):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-token")
    assert client.get("/metrics", environ_base=outside).status_code == 403
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", environ_base=outside, headers=wrong).status_code == 403
    basic = {"Authorization": "Basic s3cret-token"}
    assert client.get("/metrics", environ_base=outside, headers=basic).status_code == 403
    right = {"Authorization": "Bearer s3cret-token"}
    assert client.get("/metrics", environ_base=outside, headers=right).status_code == 200


def _proxied_app(hops):
    from core.observability.setup import init_app

    app = Flask("proxied")
    app.config.update(PROXY_COUNT=hops, LOG_FORMAT="json", LOG_LEVEL="INFO", METRICS_TOKEN=None)
    init_app(app)
    return app.test_client()


def test_behind_nginx_the_forwarded_client_address_decides():
    nginx = {"REMOTE_ADDR": "127.0.0.1"}
    client = _proxied_app(1)
    spoof = {"X-Forwarded-For": "203.0.113.9"}
    assert client.get("/metrics", environ_base=nginx, headers=spoof).status_code == 403
    local = {"X-Forwarded-For": "127.0.0.1"}
    assert client.get("/metrics", environ_base=nginx, headers=local).status_code == 200
    # a client cannot prepend a loopback hop: only the one nginx appended is trusted
    chained = {"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}
    assert client.get("/metrics", environ_base=nginx, headers=chained).status_code == 403


def test_celery_task_duration_and_failures_are_measured(app):
    celery = app.extensions["celery"]

    @celery.task(name="tests.observability.ok")
    def ok():
        return 1

    @celery.task(name="tests.observability.boom")
    def boom():
        raise RuntimeError("task failed")

    ok_key = {"task": "tests.observability.ok", "state": "SUCCESS"}
    boom_key = {"task": "tests.observability.boom", "state": "FAILURE"}
    before_ok = _sample("linli_celery_task_duration_seconds_count", **ok_key)
    before_boom = _sample("linli_celery_task_duration_seconds_count", **boom_key)
    before_fail = _sample("linli_celery_task_failures_total", task="tests.observability.boom")
    assert ok.delay().get() == 1
    # throw=False traces the task as a worker does (eager propagation re-raises before the
    # failure and postrun signals are sent)
    assert boom.apply(throw=False).state == "FAILURE"
    assert _sample("linli_celery_task_duration_seconds_count", **ok_key) == before_ok + 1
    assert _sample("linli_celery_task_duration_seconds_count", **boom_key) == before_boom + 1
    assert _sample("linli_celery_task_failures_total", task="tests.observability.boom") == before_fail + 1


def test_domain_counters_count_committed_work_only(ctx):
    from sqlalchemy import text

    from core.extensions import db
    from core.transactions import atomic

    awards = _sample("linli_awards_total")
    redemptions = _sample("linli_redemptions_total")
    with atomic():
        db.session.execute(text("SELECT 1"))  # the action's writes open the transaction
        m.count_award()
        m.count_award(2)
        assert _sample("linli_awards_total") == awards, "counted before the commit"
    assert _sample("linli_awards_total") == awards + 3
    with pytest.raises(LookupError), atomic():
        db.session.execute(text("SELECT 1"))
        m.count_redemption()
        raise LookupError("rolled back")
    with atomic():
        pass  # a later commit in the same session must not count the rolled-back one
    assert _sample("linli_redemptions_total") == redemptions
    m.count_redemption()  # outside a transaction: at once
    assert _sample("linli_redemptions_total") == redemptions + 1


def test_a_worker_serves_its_metrics_on_its_own_port(app, monkeypatch):
    import socket
    import urllib.request

    from core.observability.worker import start_exporter

    monkeypatch.setitem(app.config, "WORKER_METRICS_PORT", None)
    assert start_exporter(app) is None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setitem(app.config, "WORKER_METRICS_PORT", port)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    server, _thread = start_exporter(app)
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    finally:
        server.shutdown()
        server.server_close()
    assert b"linli_celery_task_duration_seconds" in body
    assert b"linli_awards_total" in body
