"""Files that carry personal data: each download writes one audit entry before it is sent."""

from app.audit.services import record_export
from app.core.exports import XLSX_MIME, download
from app.extensions import db


def personal_data_download(
    content: bytes,
    filename: str,
    *,
    export: str,
    rows: int,
    obj=None,
    filters: dict | None = None,
    mimetype: str = XLSX_MIME,
    inline: bool = False,
):
    """The file as a response, with its ``personal_data.export`` entry committed first.

    Views call this instead of ``download`` for any file holding people's data; the commit is
    here so that no such file leaves without its entry (a GET has nothing else to commit).
    """
    record_export(export, rows, obj, filters=filters, file=filename)
    db.session.commit()
    return download(content, filename, mimetype, inline=inline)
