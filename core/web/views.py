"""The front door: home, language switch, health checks, community home."""

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import text

from core.extensions import db
from core.i18n import LANGUAGES, normalise_locale
from core.identity.models import Role
from core.web.community import community_blueprint

bp = Blueprint("web", __name__)
community = community_blueprint("community", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("identity.login"))
    from core.web.landing import landing_url

    return redirect(landing_url(current_user))


@bp.get("/me")
@login_required
def my_places():
    from core.web.landing import places_of

    return render_template("core/places.html", places=places_of(current_user))


@bp.post("/language")
def set_language():
    locale = normalise_locale(request.form.get("locale"))
    if locale not in LANGUAGES:
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    target = request.form.get("next") or url_for("web.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("web.index")
    return redirect(target)


@bp.post("/display/large-text")
def toggle_large_text():
    session["large_text"] = not session.get("large_text", False)
    target = request.form.get("next") or url_for("web.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("web.index")
    return redirect(target)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception:
        current_app.logger.exception("database not reachable")
        return {"status": "unavailable", "detail": _("The database is not reachable.")}, 503
    return {"status": "ok"}


@community.get("/")
def home():
    from core.ledger.display import reason_text
    from core.ledger.queries import balance, history

    member = g.actor.member
    recent = [
        {"at": e.at, "points": e.points, "reason": reason_text(e.kind, e.reason)}
        for e in (history(member, limit=3) if member else [])
    ]
    return render_template(
        "core/community_home.html", actor=g.actor, staff=g.actor.can(Role.GRID_WORKER),
        balance=balance(member) if member else None, recent=recent,
    )
