"""``pages.narrow``: HTML that pages keep is stored in the fewest bytes that show the same text."""

from __future__ import annotations

import html
import sys

import pytest

from pages.narrow import narrow


@pytest.mark.parametrize('text', [
    '<div class="bubble">a thumb 👍 and a heart ❤️ in mostly ASCII HTML</div>' * 3,
    '<span class="inbox-last">📷 Picture</span><span>typing…</span>',
])
def test_mostly_ascii_with_wide_characters_is_stored_narrow_and_shows_the_same(text: str) -> None:
    narrowed = narrow(text)
    assert html.unescape(narrowed) == text
    assert narrowed.isascii()
    assert sys.getsizeof(narrowed) < sys.getsizeof(text) / 2


@pytest.mark.parametrize('text', ['plain ASCII <b>text</b>', 'café au lait', '我们你好吗我们你好吗我们你好吗'])
def test_text_that_would_grow_is_kept_as_it_is(text: str) -> None:
    assert narrow(text) is text


def test_astral_characters_alone_are_written_out_when_the_rest_is_wide() -> None:
    text = '你好世界' * 20 + '😂'
    narrowed = narrow(text)
    assert html.unescape(narrowed) == text
    assert '&#128514;' in narrowed and '你' in narrowed
    assert sys.getsizeof(narrowed) < sys.getsizeof(text)
