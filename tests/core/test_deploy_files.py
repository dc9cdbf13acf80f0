"""The deployment files hold together: no Docker engine runs here, so the compose file, the
Dockerfile, the systemd units and the nginx site are checked as files (nginx -t for real),
and the example environment must name every setting the code reads."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
APP_SERVICES = {"migrate", "web", "worker", "beat", "backup"}


def _env_names(path: Path) -> set[str]:
    text = path.read_text()
    return set(re.findall(r'os\.environ\.get\(\s*"([A-Z0-9_]+)"', text)) | set(
        re.findall(r'_bool\(\s*"([A-Z0-9_]+)"', text)
    )


def _example(commented: bool = True) -> dict:
    """NAME -> value of the example file (``# NAME=`` lines too, unless ``commented=False``)."""
    values = {}
    for line in (DEPLOY / "linli.env.example").read_text().splitlines():
        match = re.match(r"^(# )?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match and (commented or not match.group(1)):
            values[match.group(2)] = match.group(3)
    return values


def test_example_environment_names_every_setting():
    read = _env_names(ROOT / "core" / "config.py") | _env_names(DEPLOY / "gunicorn.conf.py")
    for module in (ROOT / "core").rglob("*.py"):
        read |= _env_names(module)
    read -= {"LINLI_FAST_PASSWORD_HASH"}  # tests only: must never be set in production
    assert {"DATABASE_URL", "SECRET_KEY", "STRIPE_SECRET_KEY", "METRICS_TOKEN"} <= read
    missing = read - set(_example())
    assert not missing, f"deploy/linli.env.example lacks {sorted(missing)}"
    assert "LINLI_FAST_PASSWORD_HASH=" not in (DEPLOY / "linli.env.example").read_text()


def _production_env(tmp_path) -> dict:
    """The example with its placeholders filled in, as the app's environment."""
    env = {k: v for k, v in _example(commented=False).items() if not k.startswith("LINLI_")}
    env = {k: re.sub(r"<[^>]+>", "secret0", v) for k, v in env.items()}
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")
    return env


def test_example_environment_configures_production(tmp_path, monkeypatch):
    from core import config

    for key in list(os.environ):
        if key in _example():
            monkeypatch.delenv(key)
    for key, value in _production_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    settings = config.from_environment()
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://linli_app:")
    assert settings["MIGRATIONS_DATABASE_URL"].startswith("postgresql://linli_owner:")
    assert settings["DATABASE_APP_ROLE"] == "linli_app"
    assert settings["CELERY"]["broker_url"].startswith("redis://")
    assert settings["CELERY"]["task_always_eager"] is False
    assert settings["CELERY"]["result_backend"] is None
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["PROXY_COUNT"] == 1
    assert settings["PAYMENTS_PROVIDER"] == "offline"
    assert settings["WORKER_METRICS_PORT"] == 9808
    assert settings["LOG_FORMAT"] == "json"


def _gunicorn_settings(env) -> dict:
    code = (
        "import json, os, runpy; c = runpy.run_path('deploy/gunicorn.conf.py'); "
        "print(json.dumps({**{k: c[k] for k in ('bind', 'workers', 'threads', 'worker_class', "
        "'accesslog', 'control_socket_disable', 'METRICS_DIR')}, "
        "'max_overflow': os.environ.get('DATABASE_MAX_OVERFLOW')})); "
        "import logging.config; logging.config.dictConfig(c['logconfig_dict'])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_gunicorn_config_loads_with_the_example_environment(tmp_path):
    env = {**os.environ, **_production_env(tmp_path), "GUNICORN_WORKERS": "3"}
    assert env["DATABASE_MAX_OVERFLOW"] == ""  # the example leaves it empty: the default applies
    assert _gunicorn_settings(env) == {
        "bind": "127.0.0.1:8000", "workers": 3, "threads": 4, "worker_class": "gevent",
        "accesslog": None, "control_socket_disable": True,
        "METRICS_DIR": str(tmp_path / "metrics"), "max_overflow": "10",
    }


@pytest.mark.parametrize(("database_url", "worker_class", "workers", "max_overflow"), [
    ("postgres://u:p@db/linli", "gevent", "cpus", "10"),
    ("postgresql+psycopg://u:p@db/linli", "gevent", "cpus", "10"),
    ("sqlite:///instance/linli.db", "gthread", "2 x cpus + 1", None),
    ("", "gthread", "2 x cpus + 1", None),  # no DATABASE_URL: the app's SQLite default
])
def test_gunicorn_worker_follows_the_database(tmp_path, database_url, worker_class, workers,
                                              max_overflow):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GUNICORN_") and k not in ("DATABASE_URL", "DATABASE_MAX_OVERFLOW")}
    env.update(PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"), DATABASE_URL=database_url)
    settings = _gunicorn_settings(env)
    cpus = os.cpu_count()
    assert settings["worker_class"] == worker_class
    assert settings["workers"] == (cpus if workers == "cpus" else 2 * cpus + 1)
    assert settings["max_overflow"] == max_overflow
    # an operator's choice wins
    env.update(GUNICORN_WORKER_CLASS="gthread", GUNICORN_WORKERS="7", DATABASE_MAX_OVERFLOW="30")
    assert _gunicorn_settings(env) == {**settings, "worker_class": "gthread", "workers": 7,
                                       "max_overflow": "30"}


def test_compose_file_describes_the_whole_stack():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "nginx"} | APP_SERVICES
    for name in APP_SERVICES:
        service = services[name]
        assert service["image"] == "linli:latest"
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert service["env_file"] == "linli.env"
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["migrate"]["command"] == ["linli", "db", "upgrade"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(services["nginx"]["healthcheck"]["test"])
    assert services["nginx"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert "core.celery_app worker" in " ".join(services["worker"]["command"])
    assert "core.celery_app" in services["beat"]["command"] and "beat" in services["beat"]["command"]
    assert services["backup"]["profiles"] == ["backup"]
    # only nginx is reachable from outside
    assert [name for name, s in services.items() if s.get("ports")] == ["nginx"]
    # the web and the worker keep Prometheus files in different directories
    assert (services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
            != services["worker"]["environment"]["PROMETHEUS_MULTIPROC_DIR"])
    # every bind-mounted file of ours exists
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith(".") and "backups" not in source:
                assert (DEPLOY / source).exists(), source
    # the nginx template's placeholders are all given
    placeholders = set(re.findall(r"\$\{(LINLI_\w+)\}", (DEPLOY / "nginx/linli.conf.template").read_text()))
    assert placeholders and placeholders <= set(services["nginx"]["environment"])


def test_dockerfile_is_multi_stage_and_not_root():
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)$", text, re.M)
    assert stages == ["build", "runtime"]
    runtime = text.split("AS runtime", 1)[1]
    assert re.search(r"^USER linli", runtime, re.M)
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    assert re.search(r'^CMD \["gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"\]$', runtime, re.M)
    assert "HEALTHCHECK" in runtime and "/healthz" in runtime
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".venv", "instance", "deploy/linli.env", ".env"} <= set(ignore)


def _unit(path: Path) -> dict:
    unit, section = {}, None
    for line in path.read_text().splitlines():
        if line.startswith("["):
            section = unit.setdefault(line.strip("[]"), {})
        elif "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            section.setdefault(key, []).append(value)
    return unit


@pytest.mark.parametrize("name, runs", [
    ("linli-web", "gunicorn -c deploy/gunicorn.conf.py wsgi:app"),
    ("linli-worker", "celery -A core.celery_app worker"),
    ("linli-beat", "celery -A core.celery_app beat"),
    ("linli-backup", "deploy/backup.sh"),
])
def test_systemd_units_run_the_app_unprivileged(name, runs):
    service = _unit(DEPLOY / "systemd" / f"{name}.service")["Service"]
    assert service["User"] == ["linli"]
    assert service["EnvironmentFile"] == ["/etc/linli/linli.env"]
    assert service["WorkingDirectory"] == ["/opt/linli"]
    assert runs in service["ExecStart"][0]
    assert service["NoNewPrivileges"] == ["yes"] and service["ProtectSystem"] == ["strict"]
    if name != "linli-backup":
        install = _unit(DEPLOY / "systemd" / f"{name}.service")["Install"]
        assert install["WantedBy"] == ["linli.target"]
    target = _unit(DEPLOY / "systemd" / "linli.target")["Unit"]["Wants"][0].split()
    assert set(target) == {"linli-web.service", "linli-worker.service", "linli-beat.service"}


def test_shell_scripts_parse():
    scripts = [*DEPLOY.glob("*.sh"), *DEPLOY.glob("*/*.sh"), ROOT / "scripts" / "bench.sh"]
    for script in scripts:
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, (script, result.stderr)
        if script.name != "pg-common.sh":  # sourced, not run
            assert os.access(script, os.X_OK), f"{script} is not executable"


def test_nginx_accepts_the_rendered_site(tmp_path):
    rendered = subprocess.run([str(DEPLOY / "run-local.sh"), "nginx-conf", str(tmp_path / "local")],
                              capture_output=True, text=True, timeout=30)
    assert rendered.returncode == 0, rendered.stderr
    site = (tmp_path / "local" / "nginx" / "linli.conf").read_text()
    assert "${" not in site and f"alias {ROOT}/static/;" in site
    check = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path / "local" / "nginx"),
         "-c", str(tmp_path / "local" / "nginx" / "nginx.conf")],
        capture_output=True, text=True, timeout=30,
    )
    assert check.returncode == 0, check.stderr
    assert "syntax is ok" in check.stderr


def test_entry_points_build_the_whole_app(tmp_path):
    code = """
import sys
from celery import Celery
from sqlalchemy import event
from sqlalchemy.orm import Session
import wsgi
import core.celery_app as entry
rls = sys.modules["core.tenancy.rls"]
assert event.contains(Session, "after_begin", rls._scope_new_transaction), "RLS listener"
assert isinstance(entry.app, Celery) and entry.app is entry.flask_app.extensions["celery"]
assert "observability.metrics" in wsgi.app.view_functions
from core.observability.logs import JsonFormatter, linli_handler
assert isinstance(linli_handler().formatter, JsonFormatter), "create_app logs JSON"
print("ok")
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
           "SECRET_KEY": "entry-points"}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
