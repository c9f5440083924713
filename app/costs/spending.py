"""Money paid out: expenditures (chi) with their vouchers, advances (tạm ứng) and their settlement.

Only finance records them. An expenditure is never deleted, only voided with a reason; every
change is audited. Nothing about a settled activity's money changes, and an activity cannot be
settled while one of its advances is still open.
"""

from datetime import date

from sqlalchemy import func, select

from app.audit import services as audit
from app.budget import services as budget
from app.budget.models import BudgetLine, FundingSource
from app.core.exports import spreadsheet_safe
from app.core.formats import date_vn, money_vn
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.core.time import utcnow
from app.costs.models import Advance, Expenditure
from app.errors import ConflictError, ValidationError
from app.extensions import db
from app.planning import services as planning
from app.planning.models import Activity
from app.registration.services import xlsx

MAX_AMOUNT = 10**13  # đồng: far above any line of the programme, below every column's limit


def _text(data: dict, key: str, limit: int, errors: dict, message, required: bool = True) -> str | None:
    value = nfc(data.get(key)) or ""
    if (required and not value) or len(value) > limit:
        errors[key] = message
    return value or None


def _money(data: dict, key: str, errors: dict) -> int:
    amount = data.get(key)
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
        errors[key] = _l("Nhập số tiền (đồng, số nguyên lớn hơn 0).")
        return 0
    return amount


def _where(data: dict, errors: dict) -> tuple[Activity | None, BudgetLine | None, FundingSource | None]:
    """The activity, line and source a payment is booked against: one year, a live activity."""
    activity = db.session.get(Activity, data["activity_id"]) if data.get("activity_id") else None
    if data.get("activity_id") and activity is None:
        errors["activity_id"] = _l("Hoạt động không tồn tại.")
    line = db.session.get(BudgetLine, data.get("budget_line_id") or 0)
    source = db.session.get(FundingSource, data.get("funding_source_id") or 0)
    if line is None:
        errors["budget_line_id"] = _l("Chọn một dòng ngân sách có trong danh mục.")
    if source is None:
        errors["funding_source_id"] = _l("Chọn một nguồn kinh phí có trong danh mục.")
    elif line is not None and line.year != source.year:
        errors["funding_source_id"] = _l("Nguồn kinh phí và dòng ngân sách phải cùng năm.")
    voucher_date = data.get("voucher_date")
    if not isinstance(voucher_date, date):
        errors["voucher_date"] = _l("Nhập ngày chứng từ theo dạng ngày/tháng/năm.")
    elif source is not None and source.deadline and voucher_date > source.deadline:
        errors["voucher_date"] = _l(
            "Nguồn này chỉ được chi đến hết ngày %(d)s.", d=source.deadline.strftime("%d/%m/%Y")
        )
    return activity, line, source


def _check_over(line_id: int, source_id: int, amount: int, override_reason: str | None) -> list:
    """The overruns a payment causes, refused unless finance gives a reason (checked before the
    payment is added, so the figures do not count it yet)."""
    found = budget.overruns(line_id, source_id, line_delta=amount, source_delta=amount, measure="spent")
    if found and not nfc(override_reason):
        raise planning.over_allocation_error(found, "override_reason")
    return found


def record_expenditure(data: dict, user, override_reason: str | None = None) -> Expenditure:
    """Book a payment with its voucher against an activity (optional), a budget line and a source.

    :raises ValidationError: missing or bad fields, a voucher number already used in the source,
        a date after the source's deadline, ``over_allocation`` without an override reason.
    :raises ConflictError: ``activity_frozen`` (settled), ``advance_settled``.
    """
    errors: dict = {}
    activity, line, source = _where(data, errors)
    amount = _money(data, "amount", errors)
    voucher_no = _text(data, "voucher_no", 40, errors, _l("Nhập số chứng từ (tối đa 40 ký tự)."))
    description = _text(data, "description", 300, errors, _l("Nhập nội dung chi (tối đa 300 ký tự)."))
    payee = _text(data, "payee", 120, errors, _l("Tối đa 120 ký tự."), required=False)
    advance = db.session.get(Advance, data["advance_id"]) if data.get("advance_id") else None
    if data.get("advance_id") and (advance is None or advance.activity_id != (activity.id if activity else None)):
        errors["advance_id"] = _l("Khoản tạm ứng không thuộc hoạt động này.")
    if source is not None and voucher_no and _voucher_taken(source.id, voucher_no):
        errors["voucher_no"] = _l("Số chứng từ %(n)s đã ghi cho nguồn này.", n=voucher_no)
    if errors:
        raise ValidationError("invalid_expenditure", _l("Kiểm tra lại các trường được đánh dấu."), errors)
    if activity is not None:
        planning.check_editable(activity)
    if advance is not None and advance.settled_on:
        raise ConflictError("advance_settled", _l("Khoản tạm ứng đã thanh toán xong: không ghi thêm chi vào đó."))
    found = _check_over(line.id, source.id, amount, override_reason)
    expenditure = Expenditure(
        activity_id=activity.id if activity else None,
        budget_line_id=line.id,
        funding_source_id=source.id,
        advance_id=advance.id if advance else None,
        voucher_no=voucher_no,
        voucher_date=data["voucher_date"],
        description=description,
        payee=payee,
        amount=amount,
        created_by_id=user.id,
    )
    db.session.add(expenditure)
    db.session.flush()
    after = _summary(expenditure)
    if found:  # one payment, one entry: an accepted overrun is part of it, with its reason
        after |= {"override_reason": nfc(override_reason), "overruns": [o.describe() for o in found]}
    audit.record("expenditure.create", expenditure, after=after, actor=user)
    return expenditure


def _voucher_taken(source_id: int, voucher_no: str) -> bool:
    return bool(
        db.session.scalar(
            select(Expenditure.id).where(
                Expenditure.funding_source_id == source_id,
                Expenditure.voucher_no == voucher_no,
                Expenditure.voided_at.is_(None),
            )
        )
    )


def _summary(expenditure: Expenditure) -> dict:
    return {
        "amount": expenditure.amount,
        "voucher_no": expenditure.voucher_no,
        "voucher_date": expenditure.voucher_date.isoformat(),
        "activity_id": expenditure.activity_id,
        "budget_line_id": expenditure.budget_line_id,
        "funding_source_id": expenditure.funding_source_id,
        "advance_id": expenditure.advance_id,
    }


def void_expenditure(expenditure: Expenditure, reason: str | None, user) -> Expenditure:
    """Cancel a mistaken entry; it stays in the books, marked, with who and why.

    :raises ValidationError: ``reason_required``.
    :raises ConflictError: ``already_voided``, ``activity_frozen``, ``advance_settled``.
    """
    reason = nfc(reason) or ""
    if not reason or len(reason) > 2000:
        message = _l("Nhập lý do hủy (tối đa 2000 ký tự).")
        raise ValidationError("reason_required", message, {"reason": message})
    if expenditure.voided_at is not None:
        raise ConflictError("already_voided", _l("Khoản chi này đã hủy."))
    if expenditure.activity is not None:
        planning.check_editable(expenditure.activity)
    if expenditure.advance is not None and expenditure.advance.settled_on:
        raise ConflictError("advance_settled", _l("Khoản tạm ứng đã thanh toán xong: không sửa chi của nó."))
    expenditure.voided_at = utcnow()
    expenditure.void_reason = reason
    expenditure.voided_by_id = user.id
    db.session.flush()
    audit.record("expenditure.void", expenditure, before=_summary(expenditure), after={"reason": reason}, actor=user)
    return expenditure


def record_advance(data: dict, user) -> Advance:
    """Advance money to a person for an activity (not spent until settled with vouchers).

    :raises ValidationError: missing or bad fields.
    :raises ConflictError: ``activity_frozen``.
    """
    errors: dict = {}
    activity, line, source = _where(data, errors)
    amount = _money(data, "amount", errors)
    voucher_no = _text(data, "voucher_no", 40, errors, _l("Nhập số chứng từ (tối đa 40 ký tự)."))
    payee = _text(data, "payee", 120, errors, _l("Nhập người nhận tạm ứng (tối đa 120 ký tự)."))
    purpose = _text(data, "purpose", 300, errors, _l("Nhập nội dung tạm ứng (tối đa 300 ký tự)."))
    if errors:
        raise ValidationError("invalid_advance", _l("Kiểm tra lại các trường được đánh dấu."), errors)
    if activity is not None:
        planning.check_editable(activity)
    advance = Advance(
        activity_id=activity.id if activity else None,
        budget_line_id=line.id,
        funding_source_id=source.id,
        payee=payee,
        purpose=purpose,
        amount=amount,
        voucher_no=voucher_no,
        voucher_date=data["voucher_date"],
        created_by_id=user.id,
    )
    db.session.add(advance)
    db.session.flush()
    audit.record(
        "advance.create", advance, after={"amount": amount, "payee": payee, "voucher_no": voucher_no}, actor=user
    )
    return advance


def settle_advance(advance: Advance, data: dict, user) -> Advance:
    """Close an advance: the vouchers booked against it are what was spent; the rest is returned
    (or, when more was spent, paid to the person on top).

    :raises ValidationError: missing voucher number or date.
    :raises ConflictError: ``advance_settled``, ``activity_frozen``.
    """
    if advance.settled_on is not None:
        raise ConflictError("advance_settled", _l("Khoản tạm ứng đã thanh toán xong."))
    if advance.activity is not None:
        planning.check_editable(advance.activity)
    errors: dict = {}
    voucher_no = _text(data, "settlement_voucher_no", 40, errors, _l("Nhập số chứng từ thanh toán (tối đa 40 ký tự)."))
    settled_on = data.get("settled_on")
    if not isinstance(settled_on, date):
        errors["settled_on"] = _l("Nhập ngày thanh toán theo dạng ngày/tháng/năm.")
    elif settled_on < advance.voucher_date:
        errors["settled_on"] = _l("Ngày thanh toán không được trước ngày tạm ứng.")
    if errors:
        raise ValidationError("invalid_settlement", _l("Kiểm tra lại các trường được đánh dấu."), errors)
    advance.returned = advance.amount - advance.used
    advance.settled_on = settled_on
    advance.settlement_voucher_no = voucher_no
    db.session.flush()
    audit.record(
        "advance.settle",
        advance,
        after={"amount": advance.amount, "used": advance.used, "returned": advance.returned, "voucher_no": voucher_no},
        actor=user,
    )
    return advance


def open_advances(activity: Activity) -> list[Advance]:
    return db.session.scalars(
        select(Advance).where(Advance.activity_id == activity.id, Advance.settled_on.is_(None))
    ).all()


def _no_open_advances(activity: Activity) -> None:
    """Settlement closes an activity's books: its advances must be settled first."""
    still_open = open_advances(activity)
    if still_open:
        total = sum(advance.outstanding for advance in still_open)
        raise ConflictError(
            "open_advances",
            _l(
                "Còn %(n)s khoản tạm ứng chưa thanh toán (%(m)s): thanh toán tạm ứng trước khi quyết toán.",
                n=len(still_open),
                m=money_vn(total),
            ),
        )


def spent_by_line_and_source(year: int) -> tuple[dict[int, int], dict[int, int]]:
    """Expenditures of the year (not voided), by budget line and by funding source."""
    live = Expenditure.voided_at.is_(None)
    by_line = db.session.execute(
        select(Expenditure.budget_line_id, func.sum(Expenditure.amount))
        .join(BudgetLine, BudgetLine.id == Expenditure.budget_line_id)
        .where(live, BudgetLine.year == year)
        .group_by(Expenditure.budget_line_id)
    ).all()
    by_source = db.session.execute(
        select(Expenditure.funding_source_id, func.sum(Expenditure.amount))
        .join(FundingSource, FundingSource.id == Expenditure.funding_source_id)
        .where(live, FundingSource.year == year)
        .group_by(Expenditure.funding_source_id)
    ).all()
    return {k: int(v) for k, v in by_line}, {k: int(v) for k, v in by_source}


def _booked(model, year: int | None, activity_id: int | None):
    """Payments or advances, newest voucher first, of a year's budget lines and/or an activity."""
    query = select(model).order_by(model.voucher_date.desc(), model.id.desc())
    if year:
        query = query.join(BudgetLine, BudgetLine.id == model.budget_line_id).where(BudgetLine.year == year)
    if activity_id:
        query = query.where(model.activity_id == activity_id)
    return query


def expenditures_query(year: int | None = None, activity_id: int | None = None):
    return _booked(Expenditure, year, activity_id)


def advances_query(year: int | None = None, activity_id: int | None = None):
    return _booked(Advance, year, activity_id)


budget.SPENDING_PROVIDERS.append(spent_by_line_and_source)
planning.SETTLE_CHECKS.append(_no_open_advances)


LEDGER_HEADER = [
    "STT",
    "Số chứng từ",
    "Ngày chứng từ",
    "Nội dung",
    "Người nhận",
    "Hoạt động",
    "Dòng ngân sách",
    "Nguồn kinh phí",
    "Số tiền (đồng)",
    "Tạm ứng",
    "Đã hủy",
    "Lý do hủy",
]


def ledger_xlsx(rows: list[Expenditure]) -> bytes:
    """The payments as finance files them: numbers stay numbers; the total counts live rows only."""
    out: list[list] = [LEDGER_HEADER]
    for index, row in enumerate(rows, start=1):
        text = [
            row.voucher_no,
            date_vn(row.voucher_date),
            row.description,
            row.payee or "",
            row.activity.title if row.activity else "",
            row.budget_line.code,
            row.funding_source.code,
        ]
        out.append(
            [index, *(spreadsheet_safe(v) for v in text), row.amount]
            + [row.advance.voucher_no if row.advance else "", "Có" if row.voided_at else "", row.void_reason or ""]
        )
    live = sum(row.amount for row in rows if row.voided_at is None)
    out.append(["", "Tổng cộng (không tính khoản đã hủy)", "", "", "", "", "", "", live, "", "", ""])
    return xlsx(out, "Sổ chi")
