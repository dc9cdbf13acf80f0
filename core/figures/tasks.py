"""Keeping the roll-ups current: beat runs ``figures.roll_up`` every minute. It is safe to
run twice at once (each community is folded under a lock on its watermark)."""

from celery import shared_task
from celery.schedules import crontab

BEAT_SCHEDULE = {
    "figures-roll-up": {"task": "figures.roll_up", "schedule": crontab(minute="*")},
}


@shared_task(name="figures.roll_up", ignore_result=True)
def roll_up_task() -> int:
    from core.figures.rollup import roll_up

    return roll_up()
