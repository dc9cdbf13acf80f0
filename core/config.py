"""Configuration from the environment, with defaults that run on one laptop."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'linli.db'}"
    if url.startswith("postgres://"):  # the scheme some hosts hand out
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def from_environment() -> dict:
    broker = os.environ.get("CELERY_BROKER_URL")
    secure_cookies = _bool("SECURE_COOKIES", False)
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _laptop_secret(),
        "SQLALCHEMY_DATABASE_URI": database_url(),
        # the role that owns the schema and runs migrations; defaults to the app's own URL
        "MIGRATIONS_DATABASE_URL": os.environ.get("MIGRATIONS_DATABASE_URL"),
        # PostgreSQL: the runtime role that migrations grant row rights to (no DDL, no RLS bypass)
        "DATABASE_APP_ROLE": os.environ.get("DATABASE_APP_ROLE"),
        # Test a pooled PostgreSQL connection with a round trip before use ("1", the
        # default), or not ("0": a connection the server dropped fails one request, after
        # which SQLAlchemy replaces the pool; Django's default). Only connections idle for
        # more than DATABASE_PING_IDLE_SECONDS are tested (0: every one, every time), as
        # PgBouncer's server_check_delay does. bench/ledger.py measures the difference.
        "DATABASE_PRE_PING": _bool("DATABASE_PRE_PING", True),
        "DATABASE_PING_IDLE_SECONDS": float(os.environ.get("DATABASE_PING_IDLE_SECONDS", "10")),
        # PostgreSQL connections each process keeps, and may open beyond them at busy times.
        # deploy/gunicorn.conf.py lowers the second for gevent workers (see there).
        "DATABASE_POOL_SIZE": int(os.environ.get("DATABASE_POOL_SIZE") or 10),
        "DATABASE_MAX_OVERFLOW": int(os.environ.get("DATABASE_MAX_OVERFLOW") or 60),
        "CELERY": {
            "broker_url": broker or "memory://",
            "result_backend": os.environ.get("CELERY_RESULT_BACKEND") or None,
            "task_always_eager": broker is None,
            "task_eager_propagates": True,
            "task_ignore_result": True,
            "timezone": "UTC",
        },
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", broker or "memory://"),
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "LANGUAGES": ["zh_Hans_CN", "en"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "SESSION_PROTECTION": "strong",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "API_TOKEN_HOURS": int(os.environ.get("API_TOKEN_HOURS", "720")),
        "PAYMENTS_PROVIDER": "stripe" if os.environ.get("STRIPE_SECRET_KEY") else "offline",
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET"),
        # the Connect endpoint (connected accounts' events) has a secret of its own
        "STRIPE_CONNECT_WEBHOOK_SECRET": os.environ.get("STRIPE_CONNECT_WEBHOOK_SECRET"),
        # another Stripe API server (localstripe, a test double); unset: Stripe itself
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE") or None,
        # Billing: the Stripe price each kind of payer subscribes to (unset: no such plan)
        "BILLING_PRICES": {
            "community": os.environ.get("STRIPE_PRICE_COMMUNITY") or None,
            "district": os.environ.get("STRIPE_PRICE_DISTRICT") or None,
        },
        "STRIPE_DAYS_UNTIL_DUE": int(os.environ.get("STRIPE_DAYS_UNTIL_DUE") or 30),
        # Observability and running behind a proxy (core/observability, deploy/README.md)
        "LOG_LEVEL": (os.environ.get("LOG_LEVEL") or "INFO").upper(),
        "LOG_FORMAT": os.environ.get("LOG_FORMAT") or "json",  # "json" (one object a line) or "text"
        # /metrics answers loopback always, anyone else only with this bearer token
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN"),
        # how many reverse proxies (nginx) stand in front: their X-Forwarded-* are trusted
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT") or 0),
        # a Celery worker serves its own metrics on this port when set (web has /metrics)
        "WORKER_METRICS_PORT": int(os.environ.get("WORKER_METRICS_PORT") or 0) or None,
        "WORKER_METRICS_ADDRESS": os.environ.get("WORKER_METRICS_ADDRESS") or "127.0.0.1",
    }


def _laptop_secret() -> str:
    """A per-install secret kept under instance/, so `make run` needs no setup."""
    path = INSTANCE / "secret_key"
    if not path.exists():
        import secrets

        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
