"""One queue for SQLite's write lock across the threads and processes of this app.

Left to SQLite, writers that find the database locked sleep and retry (the busy handler naps
up to 100 ms at a time). Under a burst that is unfair: the process that holds the lock hands it
straight to its next thread while the other process's writer is asleep, and some requests wait
a second or more. Here a writer first takes a thread lock (threads of one process queue on it)
and then an exclusive ``flock`` on a file beside the database (processes queue on it, and the
kernel wakes the next one the moment it is released); only then does it issue BEGIN IMMEDIATE,
which no longer has to wait for anyone of ours. Both are released when the transaction ends.
Other programs on the database (the CLI, a backup) still meet SQLite's own busy timeout.

Per machine by design: an SQLite file serves one machine's processes (several app servers need
PostgreSQL, where none of this runs: ``app/__init__.py`` calls it for SQLite connections only).
"""

import fcntl
import os
import threading

HOLDS = "holds_app_write_lock"
_thread_lock = threading.RLock()
_depth = 0  # how deep the holding thread is (a thread may, rarely, open a second write transaction)
_files: dict[str, int] = {}


def _lock_file(database: str) -> int | None:
    if not database or database == ":memory:":
        return None
    path = database + ".writelock"
    if path not in _files:
        _files[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return _files[path]


def acquire(connection) -> None:
    """Wait for our turn to write (call before BEGIN IMMEDIATE on an SQLite connection)."""
    global _depth
    if not _thread_lock.acquire(timeout=30):
        raise TimeoutError("waited 30 s for the database write lock")
    if _depth == 0:
        handle = _lock_file(connection.engine.url.database)
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        connection.info["app_write_lock_file"] = handle
    _depth += 1
    connection.info[HOLDS] = True


def release(info: dict) -> None:
    """Give the turn back (at commit, rollback, or when a connection returns to the pool)."""
    global _depth
    if not info.pop(HOLDS, False):
        return
    if not _thread_lock._is_owned():  # pool clean-up in another thread: nothing of this thread's
        return
    _depth -= 1
    if _depth == 0:
        handle = info.pop("app_write_lock_file", None)
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
    _thread_lock.release()
