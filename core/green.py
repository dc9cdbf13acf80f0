"""Living with gunicorn's gevent worker (deploy/gunicorn.conf.py uses it on PostgreSQL).

There, one event loop serves all of a process's requests, and a request gives way to the
others only while it waits on the network (PostgreSQL, Redis). Work that holds the CPU for a
long stretch stalls every other request of the process meanwhile, so it goes through one of
these two helpers. Outside gevent (SQLite, ``linli run``, Celery, tests) both are plain calls.
"""

import sys

_green = False


def is_green() -> bool:
    """Whether gevent has patched this process's threads (gunicorn's gevent worker does it
    before the app is imported, and nothing undoes it)."""
    global _green
    if not _green:
        monkey = sys.modules.get("gevent.monkey")
        _green = bool(monkey and monkey.is_module_patched("threading"))
    return _green


def off_loop(function, *args):
    """``function(*args)`` on one of gevent's real threads, the loop serving other requests
    meanwhile. Only for C code that releases the GIL (argon2): Python code would still hold
    the loop through the GIL. Exceptions reach the caller as usual."""
    if not is_green():
        return function(*args)
    import gevent

    return gevent.get_hub().threadpool.apply(function, args)


def let_others_run() -> None:
    """A pause in a long loop of Python work (writing a big spreadsheet) in which other
    requests of the process may run."""
    if is_green():
        import gevent

        # Not sleep(0): that runs only greenlets already woken, without looking for sockets
        # that became readable (PostgreSQL's answers). The shortest real wait makes the loop
        # go round once: timers and sockets (measured: 1 of 10 pauses served I/O, against 10).
        gevent.sleep(0.0001)
