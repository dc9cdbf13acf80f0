"""The Celery entry point: ``celery -A core.celery_app worker`` and ``... beat``.

Like ``wsgi.py`` this is an entry point, not a library module: it builds the Flask app at
import, and the Celery instance is the one ``core.tasks.celery_init_app`` bound to it
(``app.extensions["celery"]``), so every task runs inside an app context. Celery looks for
``app`` in this module: that name must be the Celery instance, not the Flask app.
"""

from celery import signals

from core.app import create_app


@signals.setup_logging.connect(weak=False)
def _keep_app_logging(**_kwargs):
    """With a receiver here Celery leaves the root logger alone: the app's JSON handler
    (``core.observability.logs``) stays, so worker and web logs have the same shape."""


flask_app = create_app()
app = flask_app.extensions["celery"]


@signals.worker_init.connect(weak=False)
def _serve_worker_metrics(**_kwargs):
    from core.observability.worker import start_exporter

    start_exporter(flask_app)
