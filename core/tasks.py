"""Celery, the way Flask documents it: tasks run inside an app context.

Tasks take ids, never objects. A tenant task takes ``community_id`` and enters that
community itself (``tenant_task``). Work is sent only after the transaction that caused it
has committed (``enqueue_after_commit``).
"""

from celery import Celery, Task
from sqlalchemy import event

from core.extensions import db
from core.tenancy.context import TenantScope, scoped


def celery_init_app(app) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context(), scoped(TenantScope()):
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def enqueue_after_commit(task, *args, **kwargs) -> None:
    """Send ``task`` once the current transaction commits; never if it rolls back."""
    session = db.session()

    if not session.in_transaction():
        task.delay(*args, **kwargs)
        return

    @event.listens_for(session, "after_commit", once=True)
    def _send(_session):
        task.delay(*args, **kwargs)


def for_app(task):
    """``task`` as registered on the current Flask app's Celery.

    ``shared_task`` proxies resolve to Celery's *default* app, which is the last one
    created; a process that builds a second Flask app (a test of migrations, a CLI check)
    would otherwise run the task inside that other app and its database."""
    from flask import current_app

    return current_app.extensions["celery"].tasks[task.name]
