"""One lock for drawing PDFs.

ReportLab keeps the subsetting state of a TrueType font in the registered font object, which
every thread shares: two documents drawn at once with the same font can corrupt each other's
subset (an ``IndexError`` in ``makeSubset``, seen when two certificate batches ran together).
Every document is therefore drawn under this lock; drawing never happens inside a database
transaction, so nothing waits on it while holding a row or the SQLite write lock.

Per process by design: the font objects it protects are per process, so other workers and other
app servers draw in parallel without sharing anything (docs/deployment.md).
"""

import io
import threading

DRAWING = threading.Lock()


def paragraph(text, style):
    """A ReportLab paragraph that prints ``text`` exactly as written.

    ReportLab reads tags in a paragraph's text as markup: a name such as '<img src=x ...>' would
    crash the document, and an <img src="/path"> would make the server open that file. Every
    paragraph of stored text is built here, escaped; a test holds that nothing else builds one.
    """
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    return Paragraph(escape(str(text)), style)


def build_document(story: list, pagesize, margin_mm: tuple[float, float], title: str, on_page=None) -> bytes:
    """A flowing document (tables, paragraphs) drawn under the lock; ``margin_mm`` is (sides, top
    and bottom), ``on_page`` draws on every page (a page number)."""
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    sides, ends = margin_mm
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=sides * mm,
        rightMargin=sides * mm,
        topMargin=ends * mm,
        bottomMargin=ends * mm,
        title=title,
        author="Dự án 7",
    )
    pages = {"onFirstPage": on_page, "onLaterPages": on_page} if on_page else {}
    with DRAWING:
        document.build(story, **pages)
    return buffer.getvalue()
