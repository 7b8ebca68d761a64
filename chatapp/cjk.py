"""Chinese, Japanese and Korean text for message search: each of its characters is a word of its own.

These scripts do not put spaces between words, and no dictionary is at hand to find where one ends, so search
indexes every ideograph, kana and hangul character as one word and matches a run of them typed together as a phrase
(the same characters, adjacent, in order): "你好" finds "我们你好吗" but not "你们好". Revision 0009 indexes text
through ``spaced`` on SQLite (the FTS5 triggers call it as ``SQLITE_FUNCTION``, registered on every connection by
``chatapp.sqlite``) and through the same ranges, copied into its own SQL, on PostgreSQL.

The index holds what ``spaced`` returned when a message was written, and FTS5 forgets a message only when told
those very words again: changing ``CJK_RANGES`` needs a revision that indexes the messages concerned anew.
"""

from __future__ import annotations

import re

CJK_RANGES = (
    (0x1100, 0x11FF),  # Hangul jamo
    (0x3000, 0x31FF),  # CJK symbols (々, 〆), hiragana, katakana, bopomofo, compatibility jamo, kanbun, strokes
    (0x3400, 0x9FFF),  # CJK unified ideographs and extension A
    (0xA960, 0xA97F),  # Hangul jamo extended A
    (0xAC00, 0xD7FF),  # Hangul syllables, jamo extended B
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF61, 0xFFDC),  # halfwidth katakana and hangul
    (0x1AFF0, 0x1B16F),  # kana extensions and supplement
    (0x20000, 0x3FFFF),  # CJK ideograph extensions B to H, compatibility supplement
)
"""Whole Unicode blocks, first and last code point: only their letters, digits and marks are words (``search_text``);
their punctuation ("。", "、") separates words as any other does."""
SQLITE_FUNCTION = 'chatapp_cjk_spaced'
"""The name revision 0009's SQLite triggers call ``spaced`` by."""

CJK_CLASS = ''.join(f'{re.escape(chr(first))}-{re.escape(chr(last))}' for first, last in CJK_RANGES)
"""The ranges as the inside of a regular expression's character class."""
_CJK = re.compile(f'[{CJK_CLASS}]')


def spaced(text: str | None) -> str | None:
    """``text`` with a space either side of each CJK character, so that a tokenizer that splits at spaces makes each
    one a word; ASCII text (most messages) is returned as it is, without a scan."""
    if text is None or text.isascii():
        return text
    return _CJK.sub(r' \g<0> ', text)


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a character of ``CJK_RANGES``."""
    return _CJK.search(text) is not None
