"""URL converters shared by every blueprint."""

from werkzeug.routing import IntegerConverter


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: at most nine digits, so a longer number matches no route (404).

    Werkzeug's own converter takes any number of digits: SQLite refuses to bind an integer above
    2**63 - 1 (``OverflowError``) and PostgreSQL one above 2**31 - 1 in an INTEGER comparison
    (``integer out of range``), both answered 500. Bounding the value in ``to_python`` would not
    do: werkzeug checks the method first, so a PATCH to such a path would get the GET rule's 405.
    Nine digits (ids below one thousand million) bind on every database.
    """

    regex = r"\d{1,9}"
