"""SQLite's write lock, taken only where a request writes.

Every write request starts with BEGIN IMMEDIATE (app/__init__.py), which is right for
read-then-write rules. A hot path that mostly reads (the check-in: most of its work is
finding the person; a second scan writes nothing) can do its reads in a deferred transaction
and take the lock only for the short write that follows — with nothing read in between that the
write depends on without a database guard (the check-in's guard is its unique keys).
PostgreSQL is unaffected: there the hook does nothing.
"""

from flask import g

from app.extensions import db


def reads_first() -> None:
    """This request's next transaction reads without the write lock; objects survive commits."""
    g.sqlite_begin = "BEGIN"
    db.session().expire_on_commit = False  # the session is this request's; it is removed at teardown


def start_writing() -> None:
    """End the read transaction (nothing is pending in it) and take the write lock for what follows."""
    if db.session.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL: row locks and unique keys, no database-wide write lock to take
    db.session.commit()
    g.sqlite_begin = "BEGIN IMMEDIATE"
