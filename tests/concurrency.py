"""Running the same work in many threads at one instant, each with its own database
connection (tests of exactly-once submission and of booking the last places)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from django.db import connection


def run_together(count: int, work: Callable[[int], str]) -> Counter[str]:
    """Run ``work(i)`` in ``count`` threads started at the same instant; count the outcomes.

    Every thread closes its own database connection at the end, as a request would.
    """
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait()
            outcome = work(index)
        except Exception as error:  # recorded and asserted on, never swallowed
            outcome = f"error: {type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return Counter(outcomes)
