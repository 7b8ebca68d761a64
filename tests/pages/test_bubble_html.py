"""The HTML of message blocks: links, mentions and every part of a bubble, with hostile text fed through.

Blocks are sent without the browser's DOMPurify pass (it would strip ``target`` from links, see
``pages.chat.bubble.trusted``), so what ``_html`` writes must be safe by construction: these tests parse it and allow
only the tags and attributes it is meant to write, and ``http(s)`` links only.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from pages.avatar import avatar_img
from pages.chat.bubble import Attached, Look, _html
from pages.chat.rich_text import to_html

ALLOWED = {
    'div': {'class', 'data-testid', 'data-seq', 'data-name', 'data-stamp', 'data-target', 'data-avatar', 'role'},
    'span': {'class', 'data-testid', 'aria-label'},
    'a': {'href', 'target', 'rel', 'class', 'data-testid', 'data-file', 'data-size', 'aria-label'},
    'img': {'src', 'alt', 'width', 'height', 'loading', 'decoding', 'data-testid', 'style'},
    'details': {'class'},
    'summary': set(),
    'button': {'type', 'class', 'data-testid', 'data-act', 'data-emoji', 'data-count', 'data-who', 'data-excerpt',
               'aria-pressed', 'aria-label', 'title'},
}
SCHEMES = ('http://', 'https://', '/files/', '/avatars/')
"""What a link or a picture in a block may point to: the web, or our own file and avatar routes."""
HOSTILE = [
    '<script>window.pwned=1</script>',
    '<img src=x onerror="window.pwned=1">',
    '"><svg onload=alert(1)>',
    "javascript:alert(1) and http://x.org/\"onmouseover=\"alert(1)",
    'https://example.org/<b>bold</b>?q="1"&x=\'2\'',
    '@bob" onclick="alert(1)',
    'http://a.org/ <a href="javascript:alert(1)">x</a>',
    "' onfocus='alert(1)' autofocus='",
    '<img src=x onerror=alert(1)> http://x.org <b>@bob</b> <i>',
]


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = ALLOWED.get(tag)
        if allowed is None:
            self.problems.append(f'tag {tag}')
            return
        for name, value in attrs:
            if name not in allowed:
                self.problems.append(f'{tag}[{name}]')
            if name in {'href', 'src'} and not (value or '').startswith(SCHEMES):
                self.problems.append(f'{name} {value}')
        if tag == 'a' and not (dict(attrs).get('rel') or '').startswith('noopener noreferrer'):
            self.problems.append('a without rel')

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _check(markup: str) -> _Checker:
    checker = _Checker()
    checker.feed(markup)
    checker.close()
    return checker


@pytest.mark.parametrize('text', HOSTILE)
@pytest.mark.parametrize('image', [True, False])
def test_hostile_text_stays_text_in_every_part_of_a_bubble(text: str, image: bool) -> None:
    attached = Attached(image, text, text, '/files/abc', '/files/def', 40, 30)
    look = Look(text, mine=False, name=text, stamp=text, seq=3, edited=True, quote=(text, text),
                reactions=(('👍', 2, True, text),), mentionable=frozenset({'bob'}), actions=True, target=True,
                receipt=text, receipt_names=True, divider=True, attachment=attached, avatar=avatar_img('ab' * 32, 20))
    checker = _check(_html(look))
    assert checker.problems == []
    assert text in ''.join(checker.text)  # shown literally
    collapsed = _check(_html(Look(text, mine=False, seq=4, collapsed=True)))
    assert collapsed.problems == [] and text in ''.join(collapsed.text)


def test_links_open_in_a_new_tab_and_keep_sentence_punctuation_out() -> None:
    html = to_html('See https://example.org/a_(b). Or (http://x.org/path), ok? ftp://no.org javascript:alert(1)')
    assert html.count('<a ') == 2
    assert '<a href="https://example.org/a_(b)" target="_blank" rel="noopener noreferrer nofollow">' in html
    assert '<a href="http://x.org/path" target="_blank"' in html
    assert 'ftp://no.org' in html and 'href="ftp' not in html and 'href="javascript' not in html


def test_a_link_keeps_its_query_escaped() -> None:
    html = to_html('https://example.org/?a=1&b=%22x%22#top "quoted"')
    assert 'href="https://example.org/?a=1&amp;b=%22x%22#top"' in html and '&quot;quoted&quot;' in html
    assert _check(html).problems == []


def test_mentions_of_members_are_marked_and_others_are_not() -> None:
    html = to_html('hi @bob, @bobby and @carol. mail bob@x.org', {'bob', 'carol'})
    assert html == ('hi <span class="mention">@bob</span>, @bobby and <span class="mention">@carol</span>. '
                    'mail bob@x.org')
    assert to_html('hi @bob', ()) == 'hi @bob'


def test_the_text_of_a_bubble_is_only_what_was_written() -> None:
    """Buttons and marks take their words from the stylesheet: a bubble's text content is the message."""
    look = Look('hello https://x.org @bob', mine=True, seq=1, edited=True, quote=('Alice', 'earlier'),
                reactions=(('❤️', 1, False, 'Alice'),), mentionable=frozenset({'bob'}), actions=True)
    assert ''.join(_check(_html(look)).text) == 'hello https://x.org @bob'
