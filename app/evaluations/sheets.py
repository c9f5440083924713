"""Evaluation results as .xlsx: one sheet per view, Vietnamese headers, numbers as numbers."""


import openpyxl

from app.core.exports import spreadsheet_safe, workbook_bytes
from app.evaluations.models import QuestionType
from app.evaluations.results import SPLITS, PrePost, Results


def _sheet(workbook, title: str, rows: list[list]) -> None:
    sheet = workbook.create_sheet(title[:31])
    for row in rows:
        sheet.append([spreadsheet_safe(v) if isinstance(v, str) else v for v in row])
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 18
    sheet.column_dimensions["A"].width = 60


def _round(value, digits=2):
    return round(value, digits) if value is not None else None


def results_xlsx(r: Results, prepost: PrePost | None) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    q = r.questionnaire
    _sheet(
        workbook,
        "Tổng hợp",
        [
            ["Phiếu", q.title],
            ["Hoạt động", q.activity.title],
            ["Số người trả lời", r.responses],
            ["Số người được mời trả lời (đã tham dự)", r.eligible],
            ["Tỷ lệ trả lời", _round(r.rate, 4)],
            ["Điểm hài lòng trung bình (1–5)", _round(r.mean_satisfaction)],
            ["Điểm kiểm tra trung bình (tỷ lệ)", _round(r.mean_score, 4)],
            ["Tỷ lệ đạt", _round(r.pass_rate, 4)],
        ],
    )
    rows = [["Câu hỏi", "Nội dung đánh giá", "Số trả lời", "Trung bình", "1", "2", "3", "4", "5", "Trả lời đúng"]]
    choices = [["Câu hỏi", "Phương án", "Số người chọn"]]
    comments = [["Câu hỏi", "Ý kiến"]]
    for item in r.questions:
        question = item.question
        if question.type is QuestionType.likert:
            rows.append(
                [question.text, str(question.aspect_label), item.answered, _round(item.mean), *item.counts, None]
            )
        elif question.type in (QuestionType.single, QuestionType.multiple):
            rows.append(
                [
                    question.text,
                    str(question.aspect_label),
                    item.answered,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    item.right,
                ]
            )
            choices += [
                [question.text, option, count] for option, count in zip(question.options, item.counts, strict=True)
            ]
        else:
            comments += [[question.text, text] for text in item.texts]
    _sheet(workbook, "Theo câu hỏi", rows)
    _sheet(workbook, "Lựa chọn", choices)
    _sheet(workbook, "Ý kiến", comments)
    if r.trainers:
        _sheet(
            workbook,
            "Giảng viên",
            [["Giảng viên", "Điểm trung bình", "Số trả lời"]] + [[t.full_name, _round(m), n] for t, m, n in r.trainers],
        )
    for key, label in SPLITS.items():
        _sheet(
            workbook,
            f"Theo {str(label).lower()}",
            [[str(label), "Số trả lời", "Trung bình"]]
            + [[s.label, s.responses if not s.hidden else None, _round(s.value, 4)] for s in r.splits[key]],
        )
    if prepost is not None and not q.anonymous:
        _sheet(
            workbook,
            "Đầu khóa - cuối khóa",
            [["Họ và tên", "Đầu khóa", "Cuối khóa", "Tiến bộ"]]
            + [[p.full_name, _round(a, 4), _round(b, 4), _round(g, 4)] for p, a, b, g in prepost.rows]
            + [["Trung bình", _round(prepost.pre_mean, 4), _round(prepost.post_mean, 4), _round(prepost.gain, 4)]],
        )
    return workbook_bytes(workbook)
