"""core.ids: time-ordered UUIDs that sort in the order they were made."""

import threading
import time
import uuid

from core.ids import new_id, new_ids


def test_ids_are_version_7_with_the_time_in_front():
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    assert made.version == 7 and made.variant == uuid.RFC_4122
    assert before <= made.int >> 80 <= after


def test_ids_made_one_after_another_sort_in_that_order():
    # thousands per millisecond: without a sequence, ids of one millisecond sort at random
    made = [new_id() for _ in range(5000)] + new_ids(500) + [new_id()]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert [str(m) for m in made] == sorted(str(m) for m in made)  # as text too (SQLite)
    assert all(m.version == 7 and m.variant == uuid.RFC_4122 for m in made)


def test_threads_never_get_the_same_id():
    made = []

    def make():
        made.extend(new_id() for _ in range(2000))

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 8000


def test_no_ids_asked_no_ids_made():
    assert new_ids(0) == []
