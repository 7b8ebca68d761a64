"""``@username`` mentions in a message's text: one rule for the service that marks who was mentioned and for the
pages that highlight the names.

A mention is ``@`` and username characters, not right after a word character, ``@`` or ``.`` (so ``bob@example.org``
names nobody). Usernames may contain ``.`` and ``-``, which also end sentences ("thanks @bob."): a match is tried
whole and without its trailing dots and dashes, and the longest that names a member wins.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

MENTION = re.compile(r'(?<![\w@.])@([A-Za-z0-9_.-]{1,32})')
MAX_MENTIONS = 50
"""Names one message may mention at most (the lookup is bounded whatever a message holds)."""


def candidates(text: str) -> set[str]:
    """Every username ``text`` may mention, lower-case (at most ``MAX_MENTIONS`` matches are read)."""
    found: set[str] = set()
    for index, match in enumerate(MENTION.finditer(text)):
        if index >= MAX_MENTIONS:
            break
        found.update(_forms(match.group(1)))
    return found


def spans(text: str, usernames: Collection[str]) -> Iterator[tuple[int, int]]:
    """Where ``text`` mentions one of ``usernames`` (lower-case): ``(start, end)`` of ``@name``, in order."""
    if '@' not in text or not usernames:
        return
    for match in MENTION.finditer(text):
        for form in _forms(match.group(1)):
            if form in usernames:
                yield match.start(), match.start(1) + len(form)
                break


def _forms(name: str) -> list[str]:
    """The match whole, then without trailing dots and dashes (longest first)."""
    whole = name.lower()
    short = whole.rstrip('.-')
    return [whole, short] if short and short != whole else [whole]
