"""Allowance lists (danh sách chi tiền hỗ trợ, ký nhận) computed from real attendance and the norms.

A learner not on a state payroll gets the meal support of each day they attended at least one
session of, at the rate in force that day for where the activity is held. People on a payroll
are counted apart (they are paid by their own agency). Sums are whole đồng and always equal the
rows; the total is also given in words for the "Bằng chữ" line.
"""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.attendance.models import Attendance
from app.core.exports import spreadsheet_safe
from app.core.formats import date_vn, number_vn
from app.core.pdf import build_document, paragraph
from app.core.words import money_words_vn
from app.costs.estimates import default_place, estimate_of
from app.costs.models import Place, SpendingNorm
from app.costs.services import norm_on
from app.extensions import db
from app.people.models import Person
from app.permissions import scope_unit_ids
from app.planning.models import Activity
from app.reference.services import issuing_organisation
from app.registration.letters import BOLD, REGULAR, _register_fonts
from app.registration.services import xlsx

NORM = "meal_support"
PER_DAY_COLUMNS = 7  # beyond this many days the list shows the count only, to stay readable


@dataclass
class AllowanceRow:
    person: Person
    days: list[date]  # days attended, in order
    amounts: list[int]  # the rate of each of those days

    @property
    def total(self) -> int:
        return sum(self.amounts)


@dataclass
class AllowanceList:
    activity: Activity
    place: Place
    days: list[date]  # every day with a session
    rates: dict[date, SpendingNorm | None]
    rows: list[AllowanceRow] = field(default_factory=list)
    on_payroll: int = 0  # attendees not paid here

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)

    @property
    def person_days(self) -> int:
        return sum(len(row.days) for row in self.rows)

    @property
    def missing_rates(self) -> list[date]:
        return [day for day, norm in self.rates.items() if norm is None]

    @property
    def words(self) -> str:
        return money_words_vn(self.total)

    @property
    def legal_bases(self) -> list[str]:
        return sorted({norm.legal_basis for norm in self.rates.values() if norm is not None})


def allowance_list(activity: Activity, user=None) -> AllowanceList:
    """Who attended which days and what each is owed. ``user`` limits the rows to the people they
    may see (None: everyone, for internal use)."""
    estimate = estimate_of(activity)
    place = estimate.place if estimate is not None else default_place(activity)
    sessions = {s.id: s.starts_at.date() for s in activity.sessions}
    days = sorted(set(sessions.values()))
    rates = {day: norm_on(NORM, day, f"not_on_payroll/{place.value}") for day in days}
    query = (
        select(Attendance.person_id, Attendance.session_id)
        .join(Person, Person.id == Attendance.person_id)
        .where(Attendance.session_id.in_(list(sessions) or [0]))
    )
    allowed = scope_unit_ids(user) if user is not None else None
    if allowed is not None:
        query = query.where(Person.unit_id.in_(allowed))
    attended: dict[int, set[date]] = {}
    for person_id, session_id in db.session.execute(query):
        attended.setdefault(person_id, set()).add(sessions[session_id])
    people = db.session.scalars(
        select(Person)
        .where(Person.id.in_(list(attended) or [0]))
        .options(joinedload(Person.unit), joinedload(Person.category))
    ).all()
    result = AllowanceList(activity, place, days, rates)
    for person in sorted(people, key=lambda p: p.sort_key or ""):
        if person.category is not None and person.category.on_state_payroll:
            result.on_payroll += 1
            continue
        own = sorted(attended[person.id])
        result.rows.append(AllowanceRow(person, own, [rates[day].amount if rates[day] else 0 for day in own]))
    return result


# -- documents ------------------------------------------------------------------------------------


def _rate_text(row: AllowanceRow) -> str:
    """One rate, or each distinct rate when the person's days straddle a change of norm."""
    return " / ".join(number_vn(rate) for rate in sorted(set(row.amounts))) if row.amounts else ""


def _header(listing: AllowanceList) -> list[str]:
    header = ["STT", "Họ và tên", "Đơn vị"]
    if len(listing.days) <= PER_DAY_COLUMNS:
        header += [day.strftime("%d/%m") for day in listing.days]
    return header + ["Số ngày", "Mức hỗ trợ (đồng/ngày)", "Thành tiền (đồng)", "Ký nhận"]


def _vietnamese(label) -> str:
    """A translatable label as the document needs it: Vietnamese, whatever the reader's interface."""
    with force_locale("vi"):
        return str(label)


def _title(listing: AllowanceList) -> list[str]:
    activity = listing.activity
    return [
        "DANH SÁCH CHI TIỀN HỖ TRỢ TIỀN ĂN CHO HỌC VIÊN",
        activity.title,
        f"Thời gian: {date_vn(activity.start_date)} – {date_vn(activity.end_date)}"
        + (f"; địa điểm: {activity.venue.name}" if activity.venue else ""),
        f"Mức hỗ trợ: {_vietnamese(listing.place.label)} — căn cứ "
        + ("; ".join(listing.legal_bases) or "chưa có định mức"),
    ]


def xlsx_bytes(listing: AllowanceList) -> bytes:
    """The list as a spreadsheet: numbers stay numbers, a total row, the amount in words."""
    per_day = len(listing.days) <= PER_DAY_COLUMNS
    rows: list[list] = [[line] for line in _title(listing)] + [[], _header(listing)]
    for index, row in enumerate(listing.rows, start=1):
        cells = [index, spreadsheet_safe(row.person.full_name), spreadsheet_safe(row.person.unit.full_name)]
        if per_day:
            cells += ["x" if day in row.days else "" for day in listing.days]
        rows.append(cells + [len(row.days), spreadsheet_safe(_rate_text(row)), row.total, ""])
    blank = [""] * (len(listing.days) if per_day else 0)
    rows.append(["", "Tổng cộng", ""] + blank + [listing.person_days, "", listing.total, ""])
    rows += [[], [f"Bằng chữ: {listing.words}"]]
    return xlsx(rows, "Danh sách ký nhận")


def pdf_bytes(listing: AllowanceList) -> bytes:
    """A4 landscape, as finance files it: heading, the table with a signature column, the total
    in figures and in words, and the three signatures."""
    _register_fonts()
    title = ParagraphStyle("title", fontName=BOLD, fontSize=13, leading=17, alignment=1)
    plain = ParagraphStyle("plain", fontName=REGULAR, fontSize=10.5, leading=13, alignment=1)
    cell = ParagraphStyle("cell", fontName=REGULAR, fontSize=9.5, leading=11)
    organisation = issuing_organisation(listing.activity)
    heading = _title(listing)
    story = []
    if organisation is not None:
        story += [
            paragraph(organisation.name.upper(), ParagraphStyle("org", parent=cell, fontName=BOLD)),
            Spacer(1, 3 * mm),
        ]
    story += [paragraph(heading[0], title)] + [paragraph(line, plain) for line in heading[1:]] + [Spacer(1, 4 * mm)]
    per_day = len(listing.days) <= PER_DAY_COLUMNS
    head = ParagraphStyle("head", fontName=BOLD, fontSize=8.5, leading=10.5, alignment=1)
    data = [[paragraph(text, head) for text in _header(listing)]]
    for index, row in enumerate(listing.rows, start=1):
        cells = [str(index), paragraph(row.person.full_name, cell), paragraph(row.person.unit.full_name, cell)]
        if per_day:
            cells += ["x" if day in row.days else "" for day in listing.days]
        data.append(cells + [str(len(row.days)), _rate_text(row), number_vn(row.total), ""])
    blank = [""] * (len(listing.days) if per_day else 0)
    data.append(["", "Tổng cộng", ""] + blank + [str(listing.person_days), "", number_vn(listing.total), ""])
    # Name and unit share what the day columns leave of the landscape page's 277 mm.
    tail = [13 * mm, 28 * mm, 27 * mm, 30 * mm]
    text_width = (277 * mm - 12 * mm - sum(tail) - 13 * mm * len(blank)) / 2
    widths = [12 * mm, text_width, text_width] + [13 * mm] * len(blank) + tail
    table = Table(data, colWidths=widths, repeatRows=1)
    money_column = len(widths) - 2
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("FONTNAME", (0, 0), (-1, 0), BOLD),
                ("FONTNAME", (0, -1), (-1, -1), BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (0, -1), "CENTER"),
                ("ALIGN", (3, 1), (money_column - 2, -1), "CENTER"),
                ("ALIGN", (money_column - 1, 1), (money_column, -1), "RIGHT"),
                ("TOPPADDING", (0, 1), (-1, -2), 7),  # room to sign
                ("BOTTOMPADDING", (0, 1), (-1, -2), 7),
            ]
        )
    )
    left = ParagraphStyle("left", parent=cell, fontSize=10.5, leading=14)
    story += [
        table,
        Spacer(1, 4 * mm),
        paragraph(f"Tổng số tiền: {number_vn(listing.total)} đồng.", left),
        paragraph(f"Bằng chữ: {listing.words}.", left),
    ]
    if listing.on_payroll:
        story.append(
            paragraph(
                f"({listing.on_payroll} người hưởng lương từ ngân sách nhà nước không thuộc danh sách này.)", left
            )
        )
    signers = Table(
        [["NGƯỜI LẬP BIỂU", "KẾ TOÁN", "THỦ TRƯỞNG ĐƠN VỊ"], ["(Ký, ghi rõ họ tên)"] * 2 + ["(Ký, họ tên, đóng dấu)"]],
        colWidths=[90 * mm] * 3,
    )
    signers.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), BOLD),
                ("FONTNAME", (0, 1), (-1, 1), REGULAR),
                ("FONTSIZE", (0, 0), (-1, -1), 10),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ]
        )
    )
    story += [Spacer(1, 6 * mm), signers]
    return build_document(story, landscape(A4), (10, 12), "Danh sách chi tiền hỗ trợ")
