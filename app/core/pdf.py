"""One lock for drawing PDFs.

ReportLab keeps the subsetting state of a TrueType font in the registered font object, which
every thread shares: two documents drawn at once with the same font can corrupt each other's
subset (an ``IndexError`` in ``makeSubset``, seen when two certificate batches ran together).
Every document is therefore drawn under this lock; drawing never happens inside a database
transaction, so nothing waits on it while holding a row or the SQLite write lock.
"""

import threading

DRAWING = threading.Lock()
