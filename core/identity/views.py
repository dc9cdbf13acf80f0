from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from core.identity.actions import IdentityError, authenticate, do_change_password
from core.identity.forms import LoginForm, PasswordChangeForm
from core.identity.throttle import login_throttle
from core.throttle import Throttled

bp = Blueprint("identity", __name__)


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        keys = login_throttle.keys(form.login.data)
        try:
            login_throttle.check(*keys)
            user = authenticate(form.login.data, form.password.data)
            if user is None:
                login_throttle.failed(*keys)
                error = _("The phone number, user name or password is not right.")
                status = 401
            else:
                login_user(user, remember=form.remember.data)
                from core.web.landing import landing_url

                return redirect(_safe_next(request.args.get("next")) or landing_url(user))
        except Throttled as exc:
            minutes = max(1, round(exc.retry_after / 60))
            error = _("Too many failed attempts. Please try again in %(minutes)d minutes.", minutes=minutes)
            status = 429
    elif request.method == "POST":
        status = 422
    return render_template("core/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("identity.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            do_change_password(current_user, form.current_password.data, form.new_password.data)
        except IdentityError:
            form.current_password.errors.append(_("The current password is not right."))
            status = 422
        else:
            # the old session ended with the old password: sign in again under the new one
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("web.index"))
    elif request.method == "POST":
        status = 422
    return render_template("core/password.html", form=form), status
