"""HTML that every open page keeps, written so that CPython stores it at one byte a character.

A ``str`` takes the width of its widest character for all of its characters (PEP 393): one emoji (a reaction chip,
"📷 Picture" in an inbox row, 🔕 on a muted row) makes a whole block of mostly ASCII HTML four bytes a character, and
a block holds up to 50 messages or 25 rows on every page that shows it. Written as a numeric character reference
(``&#128077;``), the same character costs about nine one-byte characters and the browser shows exactly the same text.
Text that is mostly wide (a message in Chinese) would grow instead, so each string keeps whichever form is smaller.
"""

from __future__ import annotations

import re
import sys

_ASTRAL = re.compile('[\U00010000-\U0010ffff]')


def narrow(html: str) -> str:
    """``html`` with wide characters written as character references when that stores it in less memory."""
    if html.isascii():
        return html
    forms = (html, html.encode('latin-1', 'xmlcharrefreplace').decode('latin-1'), _ASTRAL.sub(_reference, html))
    return min(forms, key=sys.getsizeof)  # the first of equals: ``html`` itself when nothing is saved


def _reference(match: re.Match[str]) -> str:
    return f'&#{ord(match.group())};'
