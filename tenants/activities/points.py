"""How much of an activity a member attended, and what it pays.

Attended time is the overlap of [check-in, check-out] with [start, end], plus make-up
minutes an admin added (a forgotten check-in, work done after the end). A member earns the
activity's points only with at least ``min_share`` percent of its duration. A rule paid per
hour pays its points per full hour pro rata, rounded down to whole points; a rule paid per
attendance pays its points once.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Pay:
    minutes: int
    share: int  # percent of the duration, rounded down
    points: int  # 0 when below the minimum share


def attended_minutes(activity, signup) -> int:
    minutes = 0
    if signup.checked_in_at is not None and signup.checked_out_at is not None:
        start = max(signup.checked_in_at, activity.starts_at)
        end = min(signup.checked_out_at, activity.ends_at)
        if end > start:
            minutes = int((end - start).total_seconds() // 60)
    return minutes + (signup.makeup_minutes or 0)


def pay_for(activity, signup, rule_points: int, per_hour: bool) -> Pay:
    minutes = attended_minutes(activity, signup)
    share = minutes * 100 // activity.duration_minutes
    if minutes <= 0 or share < activity.min_share:
        return Pay(minutes, share, 0)
    points = rule_points * minutes // 60 if per_hour else rule_points
    return Pay(minutes, share, max(points, 0))
