from flask_babel import lazy_gettext as _l

from core.extensions import db, login_manager
from core.identity.models import User
from core.ids import parse_id


@login_manager.user_loader
def load_user(session_id: str):
    user_id, _sep, epoch = (session_id or "").partition(".")
    user = db.session.get(User, parse_id(user_id)) if parse_id(user_id) else None
    if user is None or str(user.auth_epoch) != epoch:
        return None
    return user


def init_app(app):
    login_manager.init_app(app)
    login_manager.login_view = "identity.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.session_protection = "strong"
