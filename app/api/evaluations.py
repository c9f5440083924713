"""JSON API v1: the evaluation summary of an activity (shared API.md, "Evaluations")."""

from flask import abort, jsonify
from flask_login import current_user
from sqlalchemy import select

from app.api.blueprint import bp
from app.evaluations import results as figures
from app.evaluations.models import Kind, Questionnaire
from app.extensions import db
from app.permissions import require
from app.planning import services as planning
from app.planning.models import Activity


def _round(value, digits=4):
    return round(value, digits) if value is not None else None


@bp.route("/activities/<int:activity_id>/evaluation-summary")
@require("evaluations.view")
def evaluation_summary(activity_id):
    """Responses and mean score per question of the activity's surveys; pre/post test means and gain."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or not planning.can_see(current_user, activity):
        abort(404, description="out_of_scope" if activity is not None else None)
    surveys = db.session.scalars(
        select(Questionnaire)
        .where(Questionnaire.activity_id == activity.id, Questionnaire.kind == Kind.survey)
        .order_by(Questionnaire.id)
    ).all()
    questionnaires, responses, questions = [], 0, []
    for survey in surveys:
        result = figures.results(survey, current_user)
        responses += result.responses
        questionnaires.append(
            {
                "id": survey.id,
                "title": survey.title,
                "responses": result.responses,
                "eligible": result.eligible,
                "response_rate": _round(result.rate),
                "mean_satisfaction": _round(result.mean_satisfaction),
            }
        )
        questions += [
            {
                "questionnaire_id": survey.id,
                "question_id": item.question.id,
                "text": item.question.text,
                "aspect": item.question.aspect,
                "trainer_id": item.question.trainer_id,
                "answers": item.answered,
                "mean": _round(item.mean),
            }
            for item in result.questions
            if item.mean is not None
        ]
    prepost = figures.prepost(activity, current_user)
    return jsonify(
        {
            "activity_id": activity.id,
            "responses": responses,
            "questionnaires": questionnaires,
            "questions": questions,
            "pre_test_mean": _round(prepost.pre_mean) if prepost else None,
            "post_test_mean": _round(prepost.post_mean) if prepost else None,
            "gain": _round(prepost.gain) if prepost else None,
            "paired": len(prepost.rows) if prepost else 0,
            "post_test_pass_rate": _round(prepost.post_pass_rate) if prepost else None,
        }
    )
