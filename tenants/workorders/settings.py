"""Per-community settings of work orders (``community.settings["workorders"]``), with defaults."""

from datetime import timedelta

DEFAULTS = {
    # hours from the report to the deadline, by urgency; past it the order escalates
    "deadline_hours": {"urgent": 4, "high": 24, "normal": 72, "low": 168},
    # a done order the resident has not confirmed closes by itself after this many days
    "auto_close_days": 7,
    # ratings from this up earn the handlers the category's bonus
    "good_rating": 4,
}


def get(community, key):
    value = ((community.settings or {}).get("workorders") or {}).get(key)
    return DEFAULTS[key] if value is None else value


def deadline_after(community, urgency) -> timedelta:
    hours = {**DEFAULTS["deadline_hours"], **(get(community, "deadline_hours") or {})}
    return timedelta(hours=int(hours[str(urgency)]))


def auto_close_after(community) -> timedelta:
    return timedelta(days=int(get(community, "auto_close_days")))


def good_rating(community) -> int:
    return int(get(community, "good_rating"))
