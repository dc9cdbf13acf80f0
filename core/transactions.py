"""Actions own their transaction: all of it commits, or none of it."""

from contextlib import contextmanager

from core.extensions import db


@contextmanager
def atomic():
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
