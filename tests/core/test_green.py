"""core/green.py: under gevent (gunicorn's gevent worker), argon2 runs off the event loop and a
long export lets other requests run; without gevent both are plain calls.

The gevent cases run in a fresh interpreter: monkey-patching is for a whole process and must
come before anything else is imported, as gunicorn's worker does it.
"""

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from core import green

ROOT = Path(__file__).resolve().parents[2]

# A greenlet ticks every millisecond while the main greenlet runs the code under test; the
# ticks counted show whether the loop kept serving others meanwhile.
_UNDER_GEVENT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import json, sys, time
    import gevent
    from argon2 import PasswordHasher
    from core import green

    ticks = []
    def ticker():
        while True:
            ticks.append(1)
            gevent.sleep(0.001)
    gevent.spawn(ticker)
    gevent.sleep(0.01)

    # costly enough to take tens of milliseconds, like production's default
    hasher = PasswordHasher(time_cost=4, memory_cost=64 * 1024, parallelism=1)
    def during(work):
        before = len(ticks)
        started = time.perf_counter()
        result = work()
        return len(ticks) - before, time.perf_counter() - started, result

    inline = during(lambda: hasher.hash("secret"))
    offloaded = during(lambda: green.off_loop(hasher.hash, "secret"))
    try:
        green.off_loop(hasher.verify, offloaded[2], "wrong")
        error = None
    except Exception as exc:
        error = type(exc).__name__

    def python_loop(pause):
        for i in range(2000):
            sum(range(2000))
            if pause and i % 200 == 0:
                green.let_others_run()
    plain = during(lambda: python_loop(False))
    paused = during(lambda: python_loop(True))
    print(json.dumps({
        "green": green.is_green(),
        "inline": inline[:2], "offloaded": offloaded[:2], "verified": hasher.verify(offloaded[2], "secret"),
        "error": error, "plain": plain[:2], "paused": paused[:2],
    }))
""")


@pytest.fixture(scope="module")
def under_gevent():
    result = subprocess.run([sys.executable, "-c", _UNDER_GEVENT], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_gevent_is_detected(under_gevent):
    assert under_gevent["green"] is True


def test_argon2_off_the_loop_lets_other_greenlets_run(under_gevent):
    inline_ticks, inline_seconds = under_gevent["inline"]
    offloaded_ticks, offloaded_seconds = under_gevent["offloaded"]
    assert inline_seconds > 0.01, "the hash must be slow enough to show anything"
    assert inline_ticks == 0  # the loop stood still for the whole hash
    # the ticker (every 1 ms) ran for a good part of the offloaded hash
    assert offloaded_ticks >= max(3, offloaded_seconds * 1000 / 4), under_gevent
    assert under_gevent["verified"] is True


def test_an_error_off_the_loop_reaches_the_caller(under_gevent):
    assert under_gevent["error"] == "VerifyMismatchError"


def test_a_long_python_loop_lets_others_run_where_it_pauses(under_gevent):
    assert under_gevent["plain"][0] == 0
    assert under_gevent["paused"][0] >= 5  # ten pauses, each gives the ticker a turn when due


def test_without_gevent_both_are_plain_calls():
    assert green.is_green() is False
    assert green.off_loop(threading.get_ident) == threading.get_ident()
    with pytest.raises(ZeroDivisionError):
        green.off_loop(lambda: 1 / 0)
    green.let_others_run()  # nothing to give way to: returns at once
