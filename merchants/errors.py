"""Refusals of the marketplace's actions, each with a stable code, an HTTP status, and a
message in the reader's language. The API turns them into problem+json, pages show them."""


class MarketError(Exception):
    status = 409

    def __init__(self, code: str, message: str, *, status: int | None = None,
                 field: str | None = None, **details):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details
        if status is not None:
            self.status = status


def to_api_error(exc: MarketError):
    from core.api.problems import ApiError

    errors = {exc.field: [exc.message]} if exc.field else None
    return ApiError(exc.status, exc.code, exc.message, errors=errors, **exc.details)
