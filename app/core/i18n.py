"""Lazy translation that stays escaped in templates.

Flask-Babel's ``LazyString.__html__`` returns the raw text, so Jinja would treat every lazy
message as trusted markup — including messages that interpolate what a user typed. Ours
escapes instead; import ``lazy_gettext as _l`` from here, never from flask_babel.
"""

from flask_babel import LazyString, gettext
from markupsafe import escape


class EscapedLazyString(LazyString):
    def __html__(self):
        return str(escape(str(self)))


def lazy_gettext(string: str, **variables) -> EscapedLazyString:
    return EscapedLazyString(gettext, string, **variables)
