"""The WSGI entry point: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Configuration comes from the environment (``deploy/linli.env.example`` lists it)."""

import gc

from core.app import create_app

app = create_app()

# Everything built so far (modules, mappers, compiled templates: about 240,000 objects)
# lives as long as the process. Frozen, the collector no longer walks it: a full collection
# took about 175 ms of CPU with the whole request thread's process stopped (bench/redeem.py
# measured it, in the tail latency), and now walks only what requests make.
gc.freeze()
