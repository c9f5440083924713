"""The queue for SQLite's write lock: writers wait their turn, the turn always comes back."""

import fcntl
import os
import threading
import time
from types import SimpleNamespace

from app.core import sqlite_lock


def fake_connection(path):
    return SimpleNamespace(engine=SimpleNamespace(url=SimpleNamespace(database=str(path))), info={})


def test_a_second_writer_waits_until_the_first_commits(tmp_path):
    database = tmp_path / "app.db"
    first, second = fake_connection(database), fake_connection(database)
    order = []
    sqlite_lock.acquire(first)

    def write():
        sqlite_lock.acquire(second)
        order.append("second writes")
        sqlite_lock.release(second.info)

    waiting = threading.Thread(target=write)
    waiting.start()
    time.sleep(0.2)
    order.append("first commits")
    sqlite_lock.release(first.info)
    waiting.join(5)
    assert order == ["first commits", "second writes"]


def test_another_process_is_kept_out_while_a_writer_holds_the_turn(tmp_path):
    database = tmp_path / "app.db"
    writer = fake_connection(database)
    sqlite_lock.acquire(writer)
    other = os.open(str(database) + ".writelock", os.O_RDWR)  # a new open file: as another process sees it
    try:
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            got_it = True
        except BlockingIOError:
            got_it = False
        assert not got_it
        sqlite_lock.release(writer.info)
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free now
        fcntl.flock(other, fcntl.LOCK_UN)
    finally:
        os.close(other)


def test_releasing_twice_or_from_another_thread_does_no_harm(tmp_path):
    writer = fake_connection(tmp_path / "app.db")
    sqlite_lock.acquire(writer)
    stranger = threading.Thread(target=sqlite_lock.release, args=(dict(writer.info),))
    stranger.start()
    stranger.join()
    sqlite_lock.release(writer.info)
    sqlite_lock.release(writer.info)  # the pool's check-in after the commit: nothing left to release
    later = fake_connection(tmp_path / "app.db")
    done = threading.Event()

    def write():
        sqlite_lock.acquire(later)
        sqlite_lock.release(later.info)
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(5)
