"""Security checks as automated tests (issue 10)."""
