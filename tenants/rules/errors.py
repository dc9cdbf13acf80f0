"""What the rules actions refuse, with a stable code and the words shown for it.

Actions raise ``RulesError`` before writing anything; pages and the API turn it into a
translated message (``message``) and a status (``STATUS``).
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext


@dataclass
class CapHit:
    member_id: object
    member_name: str
    period: str  # "day", "month", "year"
    cap: int
    used: int
    claim_id: object = None


class RulesError(Exception):
    def __init__(self, code: str, field: str | None = None, hits: list[CapHit] | None = None):
        super().__init__(code)
        self.code = code
        self.field = field
        self.hits = hits or []


STATUS = {
    "code_taken": 409,
    "rule_used": 409,
    "cap_reached": 409,
    "already_decided": 409,
    "own_claim": 403,
    "not_allowed": 403,
}


def status_of(error: RulesError) -> int:
    return STATUS.get(error.code, 422)


def hit_text(hit: CapHit) -> str:
    values = dict(name=hit.member_name, cap=hit.cap, used=hit.used)
    if hit.period == "day":
        return _("%(name)s would go over this rule's limit of %(cap)d a day (already %(used)d).", **values)
    if hit.period == "month":
        return _("%(name)s would go over this rule's limit of %(cap)d a month (already %(used)d).", **values)
    return _("%(name)s would go over this rule's limit of %(cap)d a year (already %(used)d).", **values)


def cap_head(error: RulesError) -> str:
    return ngettext(
        "Nothing was done: %(num)d person would go over a limit.",
        "Nothing was done: %(num)d people would go over a limit.",
        len({h.member_id for h in error.hits}),
    )


def hit_lines(error: RulesError) -> list[str]:
    return [hit_text(h) for h in error.hits]


def message(error: RulesError) -> str:
    if error.code == "cap_reached" and error.hits:
        return " ".join([cap_head(error)] + hit_lines(error))
    messages = {
        "code_taken": _("This code is already used by another rule of this community."),
        "rule_used": _("This rule has been used, so it cannot be deleted. Retire it instead."),
        "cap_reached": _("The limit for this rule has been reached."),
        "already_decided": _("This claim has already been decided."),
        "own_claim": _("You cannot decide your own claim. Ask another staff member."),
        "not_allowed": _("You are not allowed to do this."),
        "unknown_rule": _("There is no such rule in this community."),
        "rule_retired": _("This rule is retired and can no longer be used."),
        "rule_not_for_role": _("Your role may not award points under this rule."),
        "rule_not_claimable": _("Residents cannot claim points under this rule."),
        "unknown_member": _("There is no such member in this community."),
        "unknown_claim": _("There is no such claim in this community."),
        "photo_too_large": _("The photo is too large: at most 5 MB."),
        "photo_empty": _("The photo file is empty."),
        "photo_not_image": _("This file is not a photo we can use. Send a JPEG, PNG or WebP picture."),
        "photo_too_many_pixels": _("The photo has too many pixels. Send a smaller picture."),
        "no_members": _("Choose at least one person."),
        "too_many_members": _("Choose at most %(num)d people at once.", num=MAX_MEMBERS),
        "bad_quantity": _("The quantity must be a whole number from 1 to %(max)d.", max=MAX_QUANTITY),
        "note_too_long": _("The note can be at most %(max)d characters.", max=MAX_NOTE),
        "note_required": _("Please write what you did."),
        "photo_required": _("This rule needs a photo as evidence."),
        "reason_required": _("Please give a reason, so the resident knows why."),
        "reason_too_long": _("The reason can be at most %(max)d characters.", max=MAX_REASON),
        "not_a_member": _("Only members of this community can do this."),
    }
    return messages.get(error.code, _("This could not be done."))


# Limits shared by forms, the API and the actions.
MAX_QUANTITY = 100
MAX_NOTE = 500
MAX_REASON = 300
MAX_MEMBERS = 200
MAX_POINTS = 10000
MAX_CAP = 100000
