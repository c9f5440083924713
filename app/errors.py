"""Domain errors raised by services, and the HTTP error pages and JSON errors."""

import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.core.i18n import lazy_gettext as _l

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain refused the operation.

    ``code`` is stable (used by the API and tests); ``message`` is translated for people;
    ``fields`` maps form/API field names to messages.
    """

    status = 422

    def __init__(self, code: str, message, fields: dict | None = None, status: int | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status


class ValidationError(DomainError):
    status = 422


class ConflictError(DomainError):
    status = 409


HTTP_MESSAGES = {
    400: ("bad_request", _l("Yêu cầu không hợp lệ.")),
    401: ("unauthorized", _l("Bạn cần đăng nhập.")),
    403: ("forbidden", _l("Bạn không có quyền thực hiện thao tác này.")),
    404: ("not_found", _l("Không tìm thấy trang hoặc dữ liệu yêu cầu.")),
    405: ("method_not_allowed", _l("Phương thức không được hỗ trợ.")),
    409: ("conflict", _l("Dữ liệu xung đột với trạng thái hiện tại.")),
    413: ("payload_too_large", _l("Tệp hoặc dữ liệu gửi lên quá lớn.")),
    422: ("validation_error", _l("Dữ liệu không hợp lệ.")),
    429: ("rate_limited", _l("Bạn thao tác quá nhiều lần. Vui lòng thử lại sau ít phút.")),
    500: ("server_error", _l("Đã có lỗi xảy ra. Vui lòng thử lại.")),
}


def wants_json() -> bool:
    """The API always answers JSON; so does any page asked for JSON, e.g. a phone's check-in
    posted by a script: an HTML 429 or 400 there is unreadable to the caller."""
    return (
        request.path.startswith("/api/")
        or request.is_json
        or request.accept_mimetypes.best == "application/json"
    )


def json_error(status: int, code: str, message, fields: dict | None = None):
    body = {"error": {"code": code, "message": str(message), "fields": {k: str(v) for k, v in (fields or {}).items()}}}
    return jsonify(body), status


def _protocol_headers(error) -> list[tuple[str, str]]:
    """Headers the status code itself requires, e.g. ``Allow`` on a 405 (RFC 9110): our own
    page or JSON replaces werkzeug's body, and must not lose them with it."""
    if not isinstance(error, HTTPException):
        return []
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]


def register_error_handlers(app):
    def handle_http(status):
        def handler(error):
            code, message = HTTP_MESSAGES[status]
            if status == 403 or (status == 404 and getattr(error, "description", None) == "out_of_scope"):
                from app.permissions import record_refusal  # permissions import the models; errors must not

                log.warning("Refused %s: %s %s", status, request.method, request.path)
                record_refusal(status)
            headers = _protocol_headers(error)
            if wants_json():
                body, _ = json_error(status, code, message)
                return body, status, headers
            return render_template("errors/error.html", status=status, message=message), status, headers

        return handler

    for status in HTTP_MESSAGES:
        app.register_error_handler(status, handle_http(status))

    @app.errorhandler(CSRFError)
    def handle_csrf(error):
        message = _l("Phiên làm việc của biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.")
        if wants_json():
            return json_error(400, "csrf_failed", message)
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(DomainError)
    def handle_domain(error):
        if wants_json():
            return json_error(error.status, error.code, error.message, error.fields)
        return render_template("errors/error.html", status=error.status, message=error.message), error.status
