"""JSON API v1: certificates and their public verification (shared API.md, "Evaluations, certificates")."""

from flask import abort, current_app, jsonify, url_for
from flask_login import current_user

from app.api.blueprint import bp
from app.certificates import services
from app.certificates import views as pages
from app.certificates.models import Certificate
from app.extensions import db, limiter
from app.permissions import public, require
from app.planning import services as planning
from app.planning.models import Activity


def _certificate(certificate: Certificate) -> dict:
    return {
        "id": certificate.id,
        "serial": certificate.serial,
        "person_id": certificate.person_id,
        "status": certificate.status.value,
        "issued_on": certificate.issued_on.isoformat(),
        "verify_url": services.verify_url(certificate.code),
        "pdf_url": current_app.config["BASE_URL"].rstrip("/")
        + url_for("api.certificate_pdf", certificate_id=certificate.id),
    }


@bp.route("/activities/<int:activity_id>/certificates", methods=["POST"])
@require("certificates.issue")
def certificates_issue(activity_id):
    """Issue certificates to every eligible participant not yet holding one; returns those issued."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or not planning.can_see(current_user, activity):
        abort(404, description="out_of_scope" if activity is not None else None)
    created = services.issue(activity, current_user)
    return jsonify({"items": [_certificate(c) for c in created], "total": len(created)}), 201 if created else 200


@bp.route("/certificates/<int:certificate_id>/pdf")
@require("certificates.view")
def certificate_pdf(certificate_id):
    """The certificate's PDF."""
    return pages.pdf_response(pages.certificate_or_404(certificate_id))


@bp.route("/verify/<code>")
@public
@limiter.limit(lambda: current_app.config["VERIFY_RATE_LIMIT"])
def verify(code):
    """Public: a certificate's status and facts. Unknown codes all get one uniform 404."""
    certificate = services.find(code)
    if certificate is None:
        abort(404)
    return jsonify(services.public_view(certificate))
