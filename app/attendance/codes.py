"""Signed codes of attendance: the session's rotating QR, the form ticket, the remembered device.

The rotating code is ``<step>.<mac>``: ``step`` counts periods of ATTENDANCE_CODE_STEP_SECONDS
since the epoch and ``mac`` is an HMAC of the session id and the step under a key derived from
SECRET_KEY. Nothing is stored: any server holding the key checks any code, so several app
servers agree without sharing state. A photo of the screen stops working a minute or so later.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

TICKET_SALT = "checkin-ticket-v1"
DEVICE_SALT = "checkin-device-v1"
DEVICE_COOKIE = "da7_device"
DEVICE_MAX_AGE = 400 * 24 * 3600


@dataclass(frozen=True)
class SessionCode:
    code: str
    refresh_at: datetime  # when the display should show the next code (aware UTC)
    expires_at: datetime  # when this code stops being accepted (aware UTC)


def _config(name: str) -> int:
    return int(current_app.config[name])


def _key() -> bytes:
    # A key of its own, so a leaked check-in MAC says nothing about session cookies.
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"attendance-session-code", hashlib.sha256).digest()


def _mac(session_id: int, step: int) -> str:
    digest = hmac.new(_key(), f"{session_id}|{step}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def _step(now: datetime) -> int:
    return int(_epoch(now) // _config("ATTENDANCE_CODE_STEP_SECONDS"))


def _epoch(now: datetime) -> float:
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp()


def _at(step: int) -> datetime:
    return datetime.fromtimestamp(step * _config("ATTENDANCE_CODE_STEP_SECONDS"), UTC)


def current(session_id: int, now: datetime) -> SessionCode:
    step = _step(now)
    return SessionCode(
        code=f"{step}.{_mac(session_id, step)}",
        refresh_at=_at(step + 1),
        expires_at=_at(step + 1 + _config("ATTENDANCE_CODE_GRACE_STEPS")),
    )


def check(session_id: int, code: str, now: datetime) -> str | None:
    """None when the code is good now; otherwise ``invalid`` (forged, mangled, from the future) or ``expired``."""
    step_text, _, mac = (code or "").partition(".")
    if not step_text.isdigit() or len(step_text) > 12 or not hmac.compare_digest(mac, _mac(session_id, int(step_text))):
        return "invalid"
    step, now_step = int(step_text), _step(now)
    if step > now_step + _config("ATTENDANCE_CODE_SKEW_STEPS"):
        return "invalid"
    if step < now_step - _config("ATTENDANCE_CODE_GRACE_STEPS"):
        return "expired"
    return None


# -- the ticket: a valid code opened the form; typing a phone number may outlast the code ------


def _tickets() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TICKET_SALT)


def ticket_for(session_id: int) -> str:
    return _tickets().dumps({"s": session_id})


def ticket_valid(session_id: int, ticket: str | None) -> bool:
    if not ticket:
        return False
    try:
        payload = _tickets().loads(ticket, max_age=_config("ATTENDANCE_TICKET_SECONDS"))
    except BadSignature:
        return False
    return isinstance(payload, dict) and payload.get("s") == session_id


# -- the remembered device: a signed cookie naming the person who identified on this phone ------


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def new_device_id() -> str:
    return secrets.token_urlsafe(12)


def device_cookie(device_id: str, person_id: int) -> str:
    return _devices().dumps({"d": device_id, "p": person_id})


def remember_device(response, device_id: str | None, person_id: int) -> None:
    """Set the cookie that makes the next check-in (or evaluation) on this phone one tap."""
    if not device_id:
        return
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie(device_id, person_id),
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


def read_device_cookie(value: str | None) -> tuple[str | None, int | None]:
    """(device id, person id) from the cookie; (None, None) when absent, forged or too old."""
    if not value:
        return None, None
    try:
        payload = _devices().loads(value, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return None, None
    if not isinstance(payload, dict) or not isinstance(payload.get("d"), str) or not isinstance(payload.get("p"), int):
        return None, None
    return payload["d"][:64], payload["p"]


def offline_cutoff(now: datetime) -> datetime:
    return now - timedelta(hours=_config("ATTENDANCE_OFFLINE_MAX_HOURS"))
