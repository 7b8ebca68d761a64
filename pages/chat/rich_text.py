"""A message's text as HTML: escaped, with web links and ``@mentions`` of members marked up.

Everything a person wrote passes through ``html.escape``; the only markup is what this module writes around it. A
link is made only of an ``http://`` or ``https://`` URL and opens in a new tab without handing the chat's address or
window to the site (``rel="noopener noreferrer nofollow"``). Punctuation that usually ends a sentence is left out of
the link ("see https://example.org." links ``https://example.org``), and so is a closing bracket that opens nowhere
in the URL (a link written in parentheses).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from html import escape

from chatapp import mentions

URL = re.compile(r'\bhttps?://[^\s<>"\'`]+', re.IGNORECASE)
MAX_LINKS = 50
"""Links marked up in one message at most; the rest stay text."""
_TRAILING = '.,;:!?'
_PAIRS = {')': '(', ']': '[', '}': '{'}


def to_html(text: str, usernames: Collection[str] = ()) -> str:
    """``text`` as safe HTML; ``usernames`` (lower-case) are the members whose mentions are highlighted."""
    if '://' not in text and '@' not in text:
        return escape(text)
    marks: list[tuple[int, int, str]] = []
    for index, match in enumerate(URL.finditer(text)):
        if index >= MAX_LINKS:
            break
        end = _url_end(text, match.start(), match.end())
        if end > match.start() + len('http://'):
            marks.append((match.start(), end, 'link'))
    taken = [(start, end) for start, end, _ in marks]
    for start, end in mentions.spans(text, usernames):
        if not any(start < e and s < end for s, e in taken):
            marks.append((start, end, 'mention'))
    marks.sort()
    parts, at = [], 0
    for start, end, kind in marks:
        parts.append(escape(text[at:start]))
        piece = text[start:end]
        if kind == 'link':
            parts.append(f'<a href="{escape(piece)}" target="_blank" rel="noopener noreferrer nofollow">'
                         f'{escape(piece)}</a>')
        else:
            parts.append(f'<span class="mention">{escape(piece)}</span>')
        at = end
    parts.append(escape(text[at:]))
    return ''.join(parts)


def _url_end(text: str, start: int, end: int) -> int:
    """Where the URL that the pattern matched in ``text[start:end]`` really ends."""
    while end > start:
        last = text[end - 1]
        unopened = last in _PAIRS and text.count(_PAIRS[last], start, end) < text.count(last, start, end)
        if last not in _TRAILING and not unopened:
            break
        end -= 1
    return end
