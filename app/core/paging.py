"""Pages of rows (tuples), for lists whose rows carry figures next to the object.

``db.paginate`` returns the first column only; this keeps whole rows and offers the same
attributes, so the ``pagination`` macro serves both.
"""

import math
from dataclasses import dataclass

from flask import request
from sqlalchemy import func, select

from app.extensions import db


@dataclass
class RowsPage:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.per_page), 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def paginate_rows(query, per_page: int = 100) -> RowsPage:
    """The request's page (``?page=``; anything unreadable is page 1) of a select() of rows."""
    page = request.args.get("page", "1")
    page = max(int(page), 1) if page.isdigit() else 1
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return RowsPage(items, total, page, per_page)
