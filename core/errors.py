"""A refused action, said once and shown the same way on pages and in the API.

Actions raise ``ActionError(status, code, message, field=...)`` before writing anything
(or inside their transaction, which then rolls back). ``message`` is already translated;
``code`` is the stable machine word the API puts in its problem document; ``status`` is 409
for a step that does not fit the current state and 422 for input that is not valid.
"""


class ActionError(Exception):
    def __init__(self, status: int, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def to_api(self):
        from core.api.problems import ApiError

        errors = {self.field: [self.message]} if self.field else None
        return ApiError(self.status, self.code, self.message, errors=errors)


def conflict(code: str, message: str, field: str | None = None) -> ActionError:
    return ActionError(409, code, message, field=field)


def invalid(code: str, message: str, field: str | None = None) -> ActionError:
    return ActionError(422, code, message, field=field)
