"""Languages and time zones: Chinese first, English second.

The language is the one the user chose (kept on the user, or in the session before login),
then the browser's Accept-Language, then Chinese. Times show in the community's time zone.
"""

from flask import g, has_request_context, request, session
from flask_login import current_user

LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}


def normalise_locale(value: str | None) -> str | None:
    if not value:
        return None
    value = value.replace("-", "_").lower()
    if value.startswith("zh"):
        return "zh_Hans_CN"
    if value.startswith("en"):
        return "en"
    return None


def select_locale() -> str | None:
    if not has_request_context():
        return None  # a task or the CLI: the default locale, unless force_locale chose one
    user_choice = getattr(current_user, "locale", None) if _has_user() else None
    chosen = normalise_locale(user_choice) or normalise_locale(session.get("locale"))
    if chosen:
        return chosen
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"]) if request else None
    return normalise_locale(best) or "zh_Hans_CN"


def select_timezone() -> str:
    community = getattr(g, "community", None)
    return community.timezone if community is not None else "Asia/Shanghai"


def html_lang(locale) -> str:
    return "zh-Hans" if str(locale).startswith("zh") else "en"


def _has_user() -> bool:
    try:
        return bool(current_user) and current_user.is_authenticated
    except Exception:  # outside a request
        return False
