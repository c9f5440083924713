"""Pages of the materials library, downloads, and the materials of an activity."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.forms import BaseForm, int_or_none
from app.core.i18n import lazy_gettext as _l
from app.extensions import db
from app.materials import services
from app.materials.forms import AttachForm, MaterialForm, VersionForm
from app.materials.models import ActivityMaterial, Material, MaterialVersion
from app.permissions import public, require
from app.planning import services as planning
from app.planning.models import Activity
from app.reference import services as reference

bp = Blueprint("materials", __name__)
NO_FILE = _l("Chọn tệp để tải lên.")


def _upload(form) -> tuple[str, bytes] | None:
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [NO_FILE]
        return None
    return upload.filename, upload.read()


@bp.route("/materials/")
@require("materials.view")
def material_list():
    """The library, by topic."""
    topic_id = request.args.get("topic_id", "")
    query = services.materials_query(int_or_none(topic_id), (request.args.get("q") or "").strip()[:100] or None)
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("materials/material_list.html", page=page, topics=reference.topics())


@bp.route("/materials/new", methods=["GET", "POST"])
@require("materials.edit")
def material_create():
    """Upload a material."""
    form = MaterialForm()
    form.topic_id.choices = [(None, "—")] + [(t.id, t.label) for t in reference.topics(active_only=True)]
    if form.validate_on_submit() and (upload := _upload(form)):
        details = {
            "title": form.title.data,
            "topic_id": form.topic_id.data,
            "author": form.author.data,
            "description": form.description.data,
        }
        material = form.submit(lambda: services.create_material(details, *upload, current_user))
        if material is not None:
            flash(_("Đã tải lên tài liệu."), "success")
            return redirect(url_for("materials.material_detail", material_id=material.id))
    return render_template("materials/material_form.html", form=form)


@bp.route("/materials/<int:material_id>")
@require("materials.view")
def material_detail(material_id):
    """A material with its versions."""
    material = db.session.get(Material, material_id) or abort(404)
    return render_template("materials/material_detail.html", material=material, form=VersionForm())


@bp.route("/materials/<int:material_id>/versions", methods=["POST"])
@require("materials.edit")
def version_create(material_id):
    """Upload a new version."""
    material = db.session.get(Material, material_id) or abort(404)
    form = VersionForm()
    upload = _upload(form) if form.validate_on_submit() else None
    if upload and form.submit(lambda: services.add_version(material, *upload, current_user)) is not None:
        flash(_("Đã tải lên phiên bản mới."), "success")
        return redirect(url_for("materials.material_detail", material_id=material.id))
    return render_template("materials/material_detail.html", material=material, form=form), 422


@bp.route("/materials/<int:material_id>/versions/<int:version_id>/download")
@require("materials.view")
def version_download(material_id, version_id):
    """Download one version of a material."""
    version = db.session.get(MaterialVersion, version_id)
    if version is None or version.material_id != material_id:
        abort(404)
    return _send_version(version)


def _send_version(version: MaterialVersion):
    """The stored file as a download; a file this server cannot find is a logged 404, not a 500.

    With several app servers MATERIALS_DIR must be storage they all mount (docs/deployment.md):
    an upload received by one server is otherwise missing on the others.
    """
    path = services.file_path(version)
    if not path.is_file():
        current_app.logger.error("Material file missing: version %s, %s (is MATERIALS_DIR shared?)", version.id, path)
        abort(404)
    return send_file(
        path,
        mimetype=version.content_type,
        as_attachment=True,
        download_name=version.original_name,
        max_age=0,
    )


def _visible_activity(activity_id: int) -> Activity:
    return planning.get_visible_or_404(activity_id)  # one 404 for missing and hidden; the hidden audited


def _attach_form(activity: Activity) -> AttachForm:
    form = AttachForm()
    form.material_id.choices = [(None, "—")] + [(m.id, m.title) for m in db.session.scalars(services.materials_query())]
    form.session_id.choices = [(None, _("Cả hoạt động"))] + [(s.id, s.title) for s in activity.sessions]
    return form


@bp.route("/activities/<int:activity_id>/materials")
@require("materials.view")
def activity_materials(activity_id):
    """The materials of an activity."""
    activity = _visible_activity(activity_id)
    return render_template(
        "materials/activity_materials.html",
        activity=activity,
        form=_attach_form(activity),
        uses=services.uses_of_activity(activity),
    )


@bp.route("/activities/<int:activity_id>/materials/attach", methods=["POST"])
@require("materials.edit")
def activity_material_attach(activity_id):
    """Attach a material to an activity or one of its sessions."""
    activity = _visible_activity(activity_id)
    form = _attach_form(activity)
    if form.validate_on_submit() and form.submit(
        lambda: services.attach(activity, form.material_id.data, form.session_id.data)
    ):
        flash(_("Đã gắn tài liệu."), "success")
        return redirect(url_for("materials.activity_materials", activity_id=activity.id))
    return render_template(
        "materials/activity_materials.html", activity=activity, form=form, uses=services.uses_of_activity(activity)
    ), 422


@bp.route("/activities/<int:activity_id>/materials/<int:use_id>/delete", methods=["POST"])
@require("materials.edit")
def activity_material_detach(activity_id, use_id):
    """Take a material off an activity."""
    activity = _visible_activity(activity_id)
    use = db.session.get(ActivityMaterial, use_id)
    if use is None or use.activity_id != activity.id:
        abort(404)
    form = BaseForm()
    if form.submit(lambda: services.detach(use) or True):
        flash(_("Đã bỏ tài liệu khỏi hoạt động."), "success")
    return redirect(url_for("materials.activity_materials", activity_id=activity_id))


def participant_url(activity: Activity) -> str:
    from flask import current_app

    path = url_for("materials.participant_materials", token=services.participant_token(activity))
    return current_app.config["BASE_URL"].rstrip("/") + path


@bp.route("/activities/<int:activity_id>/materials/qr.png")
@require("materials.view")
def activity_materials_qr(activity_id):
    """The participants' link as a QR code, to print or show at the venue."""
    activity = _visible_activity(activity_id)
    return services.qr_response(participant_url(activity))


@bp.route("/m/<token>")
@public
def participant_materials(token):
    """Participants open an activity's materials from the link or QR they were given."""
    activity = services.activity_for_token(token) or abort(404)
    return render_template(
        "materials/participant_materials.html", activity=activity, token=token, uses=services.uses_of_activity(activity)
    )


@bp.route("/m/<token>/<int:version_id>")
@public
def participant_download(token, version_id):
    """Download a material of the activity the link opens (and nothing else)."""
    activity = services.activity_for_token(token) or abort(404)
    version = db.session.get(MaterialVersion, version_id)
    attached = {use.material_id for use in services.uses_of_activity(activity)}
    if version is None or version.material_id not in attached:
        abort(404)
    return _send_version(version)
