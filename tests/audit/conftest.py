"""The attendance fixtures (a course with a session, a clock), reused for audit coverage."""

from tests.attendance.conftest import clock, course, organiser  # noqa: F401
