"""JSON API v1: the trained report (shared API.md, "Evaluations, certificates, reports")."""

from flask import jsonify, request
from flask_login import current_user

from app.api.blueprint import bp
from app.core.i18n import lazy_gettext as _l
from app.errors import ValidationError
from app.permissions import require, require_unit_in_scope
from app.reports import trained
from app.reports.filters import FilterError, parse


@bp.route("/reports/trained")
@require("reports.view")
def trained_report():
    """People trained (distinct) and person-times, women, ethnic minorities, by one breakdown,
    within the caller's scope; the rows plus ``overlap`` add up to ``total``."""
    by = request.args.get("by", "district")
    if by not in trained.BREAKDOWNS:
        raise ValidationError(
            "invalid_filter", _l("Tham số lọc không hợp lệ."), {"by": _l("Không có cách phân tổ này.")}
        )
    try:
        report_filter = parse(request.args)
    except FilterError as error:
        raise ValidationError("invalid_filter", _l("Tham số lọc không hợp lệ."), {"filter": str(error)}) from None
    require_unit_in_scope(report_filter.unit_id)  # another district's unit: 404, as on the pages
    table = trained.breakdown(by, report_filter, current_user)
    return jsonify(
        {
            "by": by,
            "year": report_filter.year,
            "period": report_filter.period,
            "rows": [row.as_dict() for row in table.rows],
            "overlap": table.overlap.as_dict() if table.overlap else None,
            "total": table.total.as_dict(),
        }
    )
