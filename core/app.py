"""The application factory, and the one place that knows every capability (the
composition root): each capability registers its blueprints, CLI and tasks in ``init_app``."""

import importlib

from flask import Flask, g
from flask_babel import get_locale

from core import config as config_module
from core.config import ROOT

# Capabilities in dependency order; each module has ``init_app(app)``.
CAPABILITIES = [
    "core.observability.setup",  # first: request ids and logging before anything else runs
    "core.identity.setup",
    "core.ledger.setup",
    "core.districts.setup",
    "core.web.setup",
    "core.figures.setup",
    "core.exports.setup",
    "core.notifications.setup",
    "core.scaleout.setup",
    "core.payments.setup",  # before the capabilities that register webhook handlers
    "core.billing.setup",
    "merchants.partners.setup",
    "merchants.offers.setup",
    "merchants.vouchers.setup",
    "merchants.settlement.setup",
    "merchants.figures",
    "merchants.payments.setup",
    "tenants.rules.setup",
    "tenants.cards.setup",
    "tenants.shop.setup",
    "tenants.grid.setup",
    "tenants.activities.setup",
    "tenants.workorders.setup",
    "tenants.reports.setup",
    "tenants.onboarding.setup",
    "tenants.recognition.setup",
]


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        "linli",
        root_path=str(ROOT),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(config_module.from_environment())
    from core.api.framework import API_CONFIG

    app.config.update(API_CONFIG)
    app.config.update(config or {})

    _init_extensions(app)
    from core.api.framework import NoCookieSessionOnTheApi

    app.session_interface = NoCookieSessionOnTheApi()
    for name in CAPABILITIES + app.config.get("EXTRA_CAPABILITIES", []):
        importlib.import_module(name).init_app(app)
    _exempt_api_from_csrf(app)

    @app.context_processor
    def _template_globals():
        from core.i18n import LANGUAGES, html_lang

        locale = get_locale()
        return {
            "LANGUAGES": LANGUAGES,
            "html_lang": html_lang(locale),
            "current_locale": str(locale),
            "community": getattr(g, "community", None),
        }

    return app


def _exempt_api_from_csrf(app: Flask) -> None:
    """The API authenticates with bearer tokens only, never the cookie: CSRF cannot reach it."""
    from core.extensions import csrf

    for name, blueprint in app.blueprints.items():
        if name.startswith("api_"):
            csrf.exempt(blueprint)


def _init_extensions(app: Flask) -> None:
    from core import database, throttle
    from core.api.framework import api
    from core.extensions import babel, csrf, db, migrate
    from core.i18n import select_locale, select_timezone
    from core.tasks import celery_init_app
    from core.tenancy import rls  # noqa: F401

    # Importing rls registers the listener that hands the tenant scope to PostgreSQL's
    # row-level security in every transaction. Nothing else imports it at run time (only the
    # schema guards do), so without it a server or worker that never ran a migration would
    # see no tenant rows and fail every tenant insert.
    database.configure(app)
    db.init_app(app)
    database.install_engine_events(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    throttle.init_app(app)
    api.init_app(app)
    celery_init_app(app)
