"""The hand-counted 2023 year of the report tests, reused to prove anonymisation keeps the figures."""

from tests.reports.conftest import organiser, year_2023  # noqa: F401
