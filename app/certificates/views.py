"""Certificate pages: eligibility and issuing, downloads, templates, and the public verification."""

import io
import zipfile

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.audit.downloads import personal_data_download
from app.certificates import services
from app.certificates.forms import RuleForm, TemplateForm
from app.certificates.models import Certificate, CertificateTemplate, Status
from app.core.forms import BaseForm, int_or_none
from app.extensions import db, limiter
from app.permissions import can, in_scope, public, require
from app.planning.models import ActivityKind
from app.planning.services import get_visible_or_404 as _activity_or_404

bp = Blueprint("certificates", __name__)


def certificate_or_404(certificate_id: int) -> Certificate:
    """A certificate of a person the user may reach (a district officer: their own people)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not in_scope(current_user, certificate.person):
        abort(404, description="out_of_scope" if certificate is not None else None)
    return certificate


def pdf_response(certificate: Certificate) -> Response:
    """One certificate's PDF (a person's name and birth date): audited like any personal-data file."""
    return personal_data_download(
        services.pdf_bytes(certificate),
        f"giay-chung-nhan-{certificate.number:04d}.pdf",
        export="certificates.pdf",
        rows=1,
        obj=certificate,
        mimetype="application/pdf",
        inline=True,
    )


# -- an activity's certificates -------------------------------------------------------------------


@bp.route("/activities/<int:activity_id>/certificates")
@require("certificates.view")
def activity_certificates(activity_id):
    """Who earns a certificate and why others do not; what was issued."""
    activity = _activity_or_404(activity_id)
    rule = services.rule_for(activity)
    form = RuleForm()
    form.min_attendance_percent.data = rule.min_attendance_percent
    form.requires_post_test.data = rule.requires_post_test
    rows = services.eligibility(activity, current_user)
    visible = {row.person.id for row in rows}
    issued = db.session.scalars(
        select(Certificate).where(Certificate.activity_id == activity.id).order_by(Certificate.number)
    ).all()
    return render_template(
        "certificates/activity.html",
        activity=activity,
        rule=rule,
        rule_form=form,
        rows=rows,
        issued=[c for c in issued if c.person_id in visible or can("certificates.issue")],
        form=BaseForm(),
        Status=Status,
    )


@bp.route("/activities/<int:activity_id>/certificates/rule", methods=["POST"])
@require("certificates.issue")
def set_rule(activity_id):
    activity = _activity_or_404(activity_id)
    form = RuleForm()
    if form.validate_on_submit() and form.submit(
        lambda: services.set_rule(activity, form.min_attendance_percent.data, form.requires_post_test.data) or True
    ):
        flash(_("Đã lưu điều kiện cấp giấy chứng nhận."), "success")
    form.flash_form_errors(fields=True)
    return redirect(url_for("certificates.activity_certificates", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>/certificates/issue", methods=["POST"])
@require("certificates.issue")
def issue(activity_id):
    """Issue to every eligible participant without one (or to the one chosen)."""
    activity = _activity_or_404(activity_id)
    chosen = [i for i in (int_or_none(v) for v in request.form.getlist("person_id")) if i]
    form = BaseForm()
    created = form.submit(lambda: services.issue(activity, current_user, chosen or None))
    if created is not None:
        flash(_("Đã cấp %(n)s giấy chứng nhận.", n=len(created)), "success" if created else "info")
    form.flash_form_errors()
    return redirect(url_for("certificates.activity_certificates", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>/certificates.zip")
@require("certificates.view")
def activity_zip(activity_id):
    """Every valid certificate of the activity (that the user may see) in one ZIP."""
    activity = _activity_or_404(activity_id)
    certificates = db.session.scalars(
        select(Certificate)
        .options(joinedload(Certificate.person))  # scope is checked on each holder: load them at once
        .where(Certificate.activity_id == activity.id, Certificate.status == Status.valid)
        .order_by(Certificate.number)
    ).all()
    buffer = io.BytesIO()
    shown = [c for c in certificates if in_scope(current_user, c.person)]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for certificate in shown:
            archive.writestr(f"{certificate.number:04d}-{certificate.person_id}.pdf", services.pdf_bytes(certificate))
    return personal_data_download(
        buffer.getvalue(),
        f"giay-chung-nhan-{activity.id}.zip",
        export="certificates.zip",
        rows=len(shown),
        obj=activity,
        mimetype="application/zip",
    )


@bp.route("/certificates/<int:certificate_id>.pdf")
@require("certificates.view")
def download(certificate_id):
    return pdf_response(certificate_or_404(certificate_id))


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
@require("certificates.issue")
def revoke(certificate_id):
    certificate = certificate_or_404(certificate_id)
    form = BaseForm()
    if form.submit(lambda: services.revoke(certificate, current_user, request.form.get("reason")) or True):
        flash(_("Đã thu hồi giấy chứng nhận %(s)s.", s=certificate.serial), "success")
    form.flash_form_errors()
    return redirect(url_for("certificates.activity_certificates", activity_id=certificate.activity_id))


@bp.route("/certificates/<int:certificate_id>/reissue", methods=["POST"])
@require("certificates.issue")
def reissue(certificate_id):
    """A corrected certificate (new serial) from the person's data as it is now."""
    certificate = certificate_or_404(certificate_id)
    form = BaseForm()
    new = form.submit(lambda: services.reissue(certificate, current_user, request.form.get("reason")))
    if new is not None:
        flash(_("Đã cấp lại: số %(s)s thay cho số %(o)s.", s=new.serial, o=certificate.serial), "success")
    form.flash_form_errors()
    return redirect(url_for("certificates.activity_certificates", activity_id=certificate.activity_id))


# -- templates -----------------------------------------------------------------------------------------


@bp.route("/certificates/templates")
@require("certificates.templates")
def template_list():
    templates = db.session.scalars(select(CertificateTemplate).order_by(CertificateTemplate.id)).all()
    covered = {t.activity_kind for t in templates}
    return render_template(
        "certificates/template_list.html",
        templates=templates,
        missing=[k for k in ActivityKind if k.value not in covered],
        kinds={k.value: k.label for k in ActivityKind},
        form=BaseForm(),
    )


@bp.route("/certificates/templates/new", methods=["GET", "POST"])
@bp.route("/certificates/templates/<int:template_id>", methods=["GET", "POST"])
@require("certificates.templates")
def template_edit(template_id=None):
    """Wording, signer, rule defaults and images of the certificates of one kind of activity."""
    from app.certificates import templates as editing

    template = db.session.get(CertificateTemplate, template_id) if template_id else None
    if template_id and template is None:
        abort(404)
    form = TemplateForm(obj=template)
    editing.fill_choices(form)
    if request.method == "GET" and template is None:
        form.activity_kind.data = request.args.get("kind") or ""
        form.completion_line.data = services.COMPLETION.get(
            next((k for k in ActivityKind if k.value == form.activity_kind.data), None), services.DEFAULT_COMPLETION
        )
    if form.validate_on_submit():
        saved = form.submit(lambda: editing.save(template, form.to_data(), request.files))
        if saved:
            flash(_("Đã lưu mẫu giấy chứng nhận."), "success")
            return redirect(url_for("certificates.template_edit", template_id=saved.id))
    return render_template("certificates/template_form.html", form=form, template=template)


@bp.route("/certificates/templates/<int:template_id>/preview.pdf")
@require("certificates.templates")
def template_preview(template_id):
    template = db.session.get(CertificateTemplate, template_id) or abort(404)
    return Response(services.preview(template), mimetype="application/pdf")


# -- public verification -----------------------------------------------------------------------------------


@bp.route("/verify/<code>")
@public
@limiter.limit(lambda: current_app.config["VERIFY_RATE_LIMIT"])
def verify(code):
    """What the QR on a certificate opens: its status and the facts to compare with the paper."""
    certificate = services.find(code)
    if certificate is None:
        return render_template("certificates/verify_unknown.html"), 404
    return render_template("certificates/verify.html", view=services.public_view(certificate))
