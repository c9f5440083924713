"""Talking to a live test server over real HTTP (for races that a test client cannot make)."""

import json
import urllib.error
import urllib.request


def post_json(url: str, body: dict) -> tuple[int, dict]:
    """POST ``body`` as JSON; (status, JSON answer), or an empty dict when the answer is a page."""
    request = urllib.request.Request(  # noqa: S310  (a http://127.0.0.1 URL built by the test)
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (the same local URL)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = error.read()
        return error.code, json.loads(body) if error.headers.get_content_type() == "application/json" else {}
