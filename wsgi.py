"""The WSGI entry point: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Configuration comes from the environment (``deploy/linli.env.example`` lists it)."""

from core.app import create_app

app = create_app()
