"""Evaluation pages: building questionnaires, answering them on a phone, reading the results."""

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.attendance import codes
from app.audit.downloads import personal_data_download
from app.core.forms import BaseForm, year_or_none
from app.errors import DomainError
from app.evaluations import results as figures
from app.evaluations import services, sheets
from app.evaluations.forms import QuestionForm, QuestionnaireForm, WindowForm
from app.evaluations.models import Question, Questionnaire, Respondent
from app.extensions import db, limiter
from app.materials.services import qr_response
from app.people.models import Person
from app.permissions import public, require
from app.planning import services as planning
from app.planning.services import get_visible_or_404 as _activity_or_404

bp = Blueprint("evaluations", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _questionnaire_or_404(questionnaire_id: int) -> Questionnaire:
    questionnaire = db.session.get(Questionnaire, questionnaire_id)
    if questionnaire is None or not planning.can_see(current_user, questionnaire.activity):
        abort(404, description="out_of_scope" if questionnaire is not None else None)
    return questionnaire


def answer_url(questionnaire: Questionnaire) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for("evaluations.answer", token=questionnaire.token)


# -- an activity's questionnaires ----------------------------------------------------------------


@bp.route("/activities/<int:activity_id>/evaluations")
@require("evaluations.view")
def activity_evaluations(activity_id):
    """The activity's surveys and tests, with response counts and the pre/post gain."""
    activity = _activity_or_404(activity_id)
    questionnaires = db.session.scalars(
        select(Questionnaire).where(Questionnaire.activity_id == activity.id).order_by(Questionnaire.id)
    ).all()
    answered = dict(
        db.session.execute(
            select(Respondent.questionnaire_id, func.count(Respondent.id))
            .where(Respondent.questionnaire_id.in_([q.id for q in questionnaires] or [0]))
            .group_by(Respondent.questionnaire_id)
        ).all()
    )
    return render_template(
        "evaluations/activity.html",
        activity=activity,
        questionnaires=questionnaires,
        answered=answered,
        eligible=len(services.eligible_people(activity)),
        prepost=figures.prepost(activity, current_user),
        form=QuestionnaireForm(),
    )


@bp.route("/activities/<int:activity_id>/evaluations/template", methods=["POST"])
@require("evaluations.edit")
def from_template(activity_id):
    """Start from the ready Vietnamese survey for a course or a study tour."""
    activity = _activity_or_404(activity_id)
    form = BaseForm()
    created = form.submit(lambda: services.from_template(activity, request.form.get("template", ""), current_user))
    if created:
        flash(_("Đã tạo phiếu từ mẫu; xem lại câu hỏi rồi mở phiếu."), "success")
        return redirect(url_for("evaluations.detail", questionnaire_id=created.id))
    form.flash_form_errors()
    return redirect(url_for("evaluations.activity_evaluations", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>/evaluations", methods=["POST"])
@require("evaluations.edit")
def create(activity_id):
    activity = _activity_or_404(activity_id)
    form = QuestionnaireForm()
    if form.validate_on_submit():
        created = form.submit(lambda: services.create(activity, form.to_data(), current_user))
        if created:
            return redirect(url_for("evaluations.detail", questionnaire_id=created.id))
    form.flash_form_errors(fields=True)
    return redirect(url_for("evaluations.activity_evaluations", activity_id=activity.id))


# -- one questionnaire -------------------------------------------------------------------------------


@bp.route("/evaluations/<int:questionnaire_id>")
@require("evaluations.view")
def detail(questionnaire_id):
    questionnaire = _questionnaire_or_404(questionnaire_id)
    return render_template(
        "evaluations/detail.html",
        questionnaire=questionnaire,
        activity=questionnaire.activity,
        url=answer_url(questionnaire),
        answers=db.session.scalar(
            select(func.count(Respondent.id)).where(Respondent.questionnaire_id == questionnaire.id)
        ),
        question_form=QuestionForm(),
        window_form=_window_form(questionnaire),
    )


def _window_form(questionnaire: Questionnaire) -> WindowForm:
    from app.attendance.services import local

    form = WindowForm()
    if request.method == "GET":
        for name, moment in (("opens", questionnaire.opens_at), ("closes", questionnaire.closes_at)):
            if moment is not None:
                getattr(form, f"{name}_on").data = local(moment).date()
                getattr(form, f"{name}_time").data = local(moment).time()
    return form


@bp.route("/evaluations/<int:questionnaire_id>/questions", methods=["POST"])
@require("evaluations.edit")
def add_question(questionnaire_id):
    questionnaire = _questionnaire_or_404(questionnaire_id)
    form = QuestionForm()
    if form.validate_on_submit() and form.submit(lambda: services.add_question(questionnaire, form.to_data())):
        flash(_("Đã thêm câu hỏi."), "success")
        return redirect(url_for("evaluations.detail", questionnaire_id=questionnaire.id))
    return render_template(
        "evaluations/detail.html",
        questionnaire=questionnaire,
        activity=questionnaire.activity,
        url=answer_url(questionnaire),
        answers=0,
        question_form=form,
        window_form=_window_form(questionnaire),
    ), 422


@bp.route("/evaluations/<int:questionnaire_id>/questions/<int:question_id>/delete", methods=["POST"])
@require("evaluations.edit")
def delete_question(questionnaire_id, question_id):
    questionnaire = _questionnaire_or_404(questionnaire_id)
    question = db.session.get(Question, question_id)
    if question is None or question.questionnaire_id != questionnaire.id:
        abort(404)
    form = BaseForm()
    if form.submit(lambda: services.delete_question(question) or True):
        flash(_("Đã xóa câu hỏi."), "success")
    form.flash_form_errors()
    return redirect(url_for("evaluations.detail", questionnaire_id=questionnaire.id))


@bp.route("/evaluations/<int:questionnaire_id>/window", methods=["POST"])
@require("evaluations.edit")
def set_window(questionnaire_id):
    """When the questionnaire takes answers (empty: no limit on that side)."""
    questionnaire = _questionnaire_or_404(questionnaire_id)
    form = _window_form(questionnaire)
    if form.validate_on_submit():
        opens = _moment(form.opens_on.data, form.opens_time.data)
        closes = _moment(form.closes_on.data, form.closes_time.data, end_of_day=True)
        if form.submit(lambda: services.set_window(questionnaire, opens, closes) or True):
            flash(_("Đã lưu thời gian nhận trả lời."), "success")
    form.flash_form_errors(fields=True)
    return redirect(url_for("evaluations.detail", questionnaire_id=questionnaire.id))


def _moment(day, clock, end_of_day: bool = False) -> datetime | None:
    from datetime import time

    if day is None:
        return None
    return datetime.combine(day, clock or (time(23, 59) if end_of_day else time(0, 0)))


@bp.route("/evaluations/<int:questionnaire_id>/copy-post", methods=["POST"])
@require("evaluations.edit")
def copy_post(questionnaire_id):
    """Make the post-test from the pre-test (same questions, same pass mark)."""
    questionnaire = _questionnaire_or_404(questionnaire_id)
    form = BaseForm()
    created = form.submit(lambda: services.copy_as_post_test(questionnaire, current_user))
    form.flash_form_errors()
    return redirect(url_for("evaluations.detail", questionnaire_id=(created or questionnaire).id))


@bp.route("/evaluations/<int:questionnaire_id>/qr.png")
@require("evaluations.view")
def qr(questionnaire_id):
    questionnaire = _questionnaire_or_404(questionnaire_id)
    return qr_response(answer_url(questionnaire))


# -- results ------------------------------------------------------------------------------------------


@bp.route("/evaluations/<int:questionnaire_id>/results")
@require("evaluations.view")
def results(questionnaire_id):
    questionnaire = _questionnaire_or_404(questionnaire_id)
    return render_template(
        "evaluations/results.html",
        questionnaire=questionnaire,
        activity=questionnaire.activity,
        r=figures.results(questionnaire, current_user),
        split_labels=figures.SPLITS,
        small_cell=figures.SMALL_CELL,
    )


@bp.route("/evaluations/<int:questionnaire_id>/results.xlsx")
@require("evaluations.view")
def results_export(questionnaire_id):
    questionnaire = _questionnaire_or_404(questionnaire_id)
    prepost = figures.prepost(questionnaire.activity, current_user)
    # Aggregate figures, but the pre/post sheet names each learner with their scores.
    return personal_data_download(
        sheets.results_xlsx(figures.results(questionnaire, current_user), prepost),
        f"ket-qua-danh-gia-{questionnaire.id}.xlsx",
        export="evaluations.results_xlsx",
        rows=len(prepost.rows) if prepost else 0,
        obj=questionnaire,
    )


@bp.route("/evaluations/compare")
@require("evaluations.view")
def compare():
    """A year's surveys side by side: which activities, topics and trainers scored best."""
    from datetime import date

    year = year_or_none(request.args.get("year")) or date.today().year
    return render_template("evaluations/compare.html", year=year, c=figures.compare(year, current_user))


# -- answering on a phone (public: the link plus attendance decide who may answer) --------------------


def _person_from_device() -> Person | None:
    _device, person_id = codes.read_device_cookie(request.cookies.get(codes.DEVICE_COOKIE))
    return db.session.get(Person, person_id) if person_id else None


@bp.route("/e/<token>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["CHECKIN_RATE_LIMIT"], methods=["POST"])
def answer(token):
    """Identify once (the phone remembered from check-in is enough), answer, submit once."""
    questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.token == token)) or abort(404)
    try:
        services.check_open(questionnaire)
    except DomainError as error:
        return render_template("evaluations/answer_closed.html", questionnaire=questionnaire, error=error), error.status
    if request.method == "POST" and request.form.get("step") == "identify":
        return _identify(questionnaire)
    person = _person_from_device()
    if person is not None and not services.attended(questionnaire.activity, person):
        person = None  # a phone remembered from another class: ask who is answering
    if person is None:
        return render_template("evaluations/identify.html", questionnaire=questionnaire, form=BaseForm())
    if services.answered(questionnaire, person):
        return render_template("evaluations/answered.html", questionnaire=questionnaire, already=True)
    errors = {}
    if request.method == "POST":
        raw = {key[1:]: request.form.getlist(key) for key in request.form if key.startswith("q")}
        raw = {key: values if len(values) > 1 else values[0] for key, values in raw.items()}
        form = BaseForm()
        if form.validate_on_submit():
            try:
                services.submit(questionnaire, person, raw)
                db.session.commit()
                return render_template("evaluations/answered.html", questionnaire=questionnaire, already=False)
            except DomainError as error:
                db.session.rollback()
                errors = {**error.fields} or {"_": error.message}
    return render_template(
        "evaluations/answer.html",
        questionnaire=questionnaire,
        person=person,
        form=BaseForm(),
        errors=errors,
        given=request.form if request.method == "POST" else {},
    ), 422 if errors else 200


def _identify(questionnaire: Questionnaire):
    form = BaseForm()
    try:
        if not form.validate_on_submit():
            abort(400)
        person = services.identify(questionnaire, request.form.get("phone"), request.form.get("id_number"))
    except DomainError as error:
        return render_template(
            "evaluations/identify.html", questionnaire=questionnaire, form=form, error=error.message
        ), error.status
    response = redirect(url_for("evaluations.answer", token=questionnaire.token))
    device_id, _person = codes.read_device_cookie(request.cookies.get(codes.DEVICE_COOKIE))
    codes.remember_device(response, device_id or codes.new_device_id(), person.id)
    return response
