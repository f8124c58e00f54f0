"""Running the domain's synchronous services from the event loop, on a few database threads.

Channels runs all of a worker's database work on one thread, so one slow statement holds up every
connection of the worker. With PostgreSQL, JATAYU_DB_THREADS threads (each with a pooled connection)
share the work instead; correctness never depends on the thread, since every service is one
transaction under row locks. SQLite allows one writer at a time, so it keeps the one thread.
"""

import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, ParamSpec, TypeVar

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import connections

P = ParamSpec("P")
T = TypeVar("T")


@cache
def executor() -> ThreadPoolExecutor | None:
    """This process's database threads; None means channels' single thread."""
    threads = settings.JATAYU_DB_THREADS
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="jatayu-db") if threads > 1 else None


def db(func: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """`func` as a coroutine function run on a database thread, closing stale connections around it."""
    pool = executor()
    if pool is None:
        return DatabaseSyncToAsync(func)
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=pool)


def connections_close() -> None:
    """Close the connection each database thread holds (test teardown: the test database is dropped)."""
    pool = executor()
    if pool is None:
        return
    threads = settings.JATAYU_DB_THREADS
    everyone = threading.Barrier(threads)  # one call lands on each thread

    def close() -> None:
        everyone.wait(timeout=10)
        connections.close_all()

    for done in [pool.submit(close) for _ in range(threads)]:
        done.result()
