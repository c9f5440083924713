"""Where a redirect may go after sign-in or a language switch: local paths only."""

from urllib.parse import urlsplit

from flask import url_for


def safe_next(target: str | None) -> str:
    """Follow only local paths: no scheme, no host, no '//' or '\\' tricks; else the home page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("core.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("core.home")
    return target
