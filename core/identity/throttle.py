from flask import request

from core.throttle import FailureThrottle


class LoginThrottle(FailureThrottle):
    def keys(self, login: str | None) -> tuple[str, str]:
        # per login (someone guessing one account) and per address (one guesser, many logins)
        return (f"login:{(login or '').strip().lower()[:64]}", f"addr:{request.remote_addr}")


login_throttle = LoginThrottle("login-failures", "10/5 minutes")
