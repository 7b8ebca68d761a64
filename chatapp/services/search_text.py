"""The text side of message search, with no database: a query cleaned into terms, and a snippet around a match.

A word is a run of letters, digits and combining marks (Unicode categories L, N, M and private use), the same rule
as the SQLite index's tokenizer (revision 0005), except that each Chinese, Japanese or Korean character is a word of
its own (``chatapp.cjk``, revision 0009). Everything else (quotes, ``*``, ``-``, parentheses, emoji, punctuation)
only separates words, so nothing a person types can reach FTS5's or ``tsquery``'s syntax: the service quotes each
word (``OR`` and ``NEAR`` are words like any other).

A term of a query is one word, or a phrase: the words of a run typed without a space that holds CJK characters
("你好", "Pythonを"), written with a space between them. A phrase matches where its words follow each other in order.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

from chatapp.cjk import CJK_RANGES, has_cjk
from chatapp.errors import Invalid
from chatapp.schemas import SnippetPart

MIN_QUERY_LETTERS = 2
"""Letters or digits a query needs in all: one letter would match most messages and tell nothing. One CJK character
is enough: an ideograph or a hangul syllable is a word (猫, 집)."""
MAX_QUERY_LENGTH = 100
MAX_TERMS = 8
"""Each term is one more list to intersect: a query of many words costs more and rarely finds more. A phrase counts
as one (a sentence of Chinese is one); ``MAX_QUERY_LENGTH`` bounds its words."""
BM25_K1 = 1.2
BM25_B = 0.75
"""Okapi BM25's usual constants (FTS5's too): how fast repeats stop counting, how much length counts."""
SNIPPET_LENGTH = 160
"""Characters of a message a hit shows around its first match (a result shows two lines)."""
_SURROGATE = re.compile('[\ud800-\udfff]')


@lru_cache(maxsize=1)
def _word_pattern() -> re.Pattern[str]:
    """A word: one CJK character, or a run of other word characters (built once from the Unicode database Python
    ships)."""
    cjk, other = _word_classes()
    return re.compile(f'[{cjk}]|[{other}]+')


@lru_cache(maxsize=1)
def _run_pattern() -> re.Pattern[str]:
    """A run of word characters, CJK ones included: what a person typed without a space, one term of a query."""
    cjk, other = _word_classes()
    return re.compile(f'[{cjk}{other}]+')


@lru_cache(maxsize=1)
def _word_classes() -> tuple[str, str]:
    """The word characters as the insides of two character classes: the CJK ones, and the others."""
    cjk_codes = bytearray(sys.maxunicode + 1)
    for first, last in CJK_RANGES:
        cjk_codes[first:last + 1] = b'\x01' * (last - first + 1)
    ranges: dict[int, list[str]] = {1: [], 2: []}
    start, kind = 0, 0
    for code in range(sys.maxunicode + 2):
        now = 0 if code > sys.maxunicode or not _is_word_char(chr(code)) else 1 + cjk_codes[code]
        if now != kind:
            if kind:
                ranges[kind].append(_range(start, code - 1))
            start, kind = code, now
    return ''.join(ranges[2]), ''.join(ranges[1])


_ASCII_WORD = re.compile('[0-9A-Za-z]+')
"""The same rule for ASCII text, where only letters and digits are word characters: matching the full class costs
about 0.35 µs a character, and ranking 200 candidates (12,000 characters) spent 4 ms on it."""


def _words_of(text: str) -> re.Pattern[str]:
    """The pattern that finds the words of ``text``: the ASCII one when it is enough, which gives the same words."""
    return _ASCII_WORD if text.isascii() else _word_pattern()


def _is_word_char(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in 'LNM' or category == 'Co'


def _range(first: int, last: int) -> str:
    return re.escape(chr(first)) if first == last else f'{re.escape(chr(first))}-{re.escape(chr(last))}'


def search_terms(query: str) -> list[str]:
    """The terms of ``query`` (lowercased, each once, in order: words, and phrases as ``'東 京 で python'``), or
    ``Invalid`` with a ``code`` that names the problem: ``blank``, ``bad_characters``, ``too_long``, ``no_words``,
    ``too_short``, ``too_many_words``."""
    text = query.strip()
    if not text:
        raise Invalid('Type a word to search for.', code='blank')
    if '\x00' in text or _SURROGATE.search(text):
        raise Invalid('This search contains a character that cannot be searched for. Remove it and try again.',
                      code='bad_characters')
    if len(text) > MAX_QUERY_LENGTH:
        raise Invalid(f'Search for at most {MAX_QUERY_LENGTH} characters ({len(text)} now).', code='too_long')
    words = _word_pattern()
    terms = list(dict.fromkeys(' '.join(words.findall(run)).lower() for run in _run_pattern().findall(text)))
    if not terms:
        raise Invalid('Search for words or numbers: punctuation and emoji alone cannot be searched for.',
                      code='no_words')
    if sum(len(term) - term.count(' ') for term in terms) < MIN_QUERY_LETTERS and not has_cjk(''.join(terms)):
        raise Invalid(f'Type at least {MIN_QUERY_LETTERS} letters to search.', code='too_short')
    if len(terms) > MAX_TERMS:
        raise Invalid(f'Search for at most {MAX_TERMS} words at once.', code='too_many_words')
    return terms


def fts5_match(terms: list[str]) -> str:
    """An FTS5 query that finds messages holding every one of ``terms``: each a quoted string (words never hold a
    quote, and doubling any would keep it a string), so no operator or column filter can be formed. A phrase's
    string holds its words, which FTS5 matches in order."""
    return ' '.join('"' + term.replace('"', '""') + '"' for term in terms)


def has_phrase(terms: list[str]) -> bool:
    """Whether a term of ``terms`` is a phrase (CJK text): PostgreSQL then needs ``tsquery``, not ``plainto``."""
    return any(' ' in term for term in terms)


def tsquery(terms: list[str]) -> str:
    """A ``to_tsquery`` text that finds messages holding every one of ``terms``, a phrase's words joined by ``<->``
    (followed by). Each word is quoted (words never hold a quote or a backslash, and doubling any would keep it
    quoted), so no operator can be formed."""
    def quoted(word: str) -> str:
        return "'" + word.replace('\\', '\\\\').replace("'", "''") + "'"

    return ' & '.join('(' + ' <-> '.join(quoted(word) for word in term.split(' ')) + ')' for term in terms)


def rank(candidates: list[tuple[int, str]], terms: list[str]) -> list[tuple[int, str]]:
    """``candidates`` (message id, text) best first: Okapi BM25 over the candidates, ties newest (highest id) first.

    Every candidate holds every word, so the words' rarity (BM25's IDF) would only weigh one word's repeats against
    another's: it is left out, because counting a common word's matches is what FTS5's own ``bm25()`` spends 20-45 ms
    on. What is left ranks a message higher the more often it repeats the words and the shorter it is, the same on
    both backends. A phrase counts where its words follow each other."""
    wanted = {_phrase(term) for term in terms}
    counted = []
    for message_id, body in candidates:
        words = [_folded(word) for word in _words_of(body).findall(body)]
        counted.append((message_id, body, len(words),
                        [words.count(term[0]) if len(term) == 1 else _occurrences(words, term) for term in wanted]))
    average = sum(length for _, _, length, _ in counted) / max(len(counted), 1) or 1.0

    def score(length: int, frequencies: list[int]) -> float:
        norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average)
        return sum(f * (BM25_K1 + 1) / (f + norm) for f in frequencies)

    ordered = sorted(counted, key=lambda c: (-score(c[2], c[3]), -c[0]))
    return [(message_id, body) for message_id, body, _, _ in ordered]


def snippet(body: str, terms: list[str]) -> list[SnippetPart]:
    """Up to ``SNIPPET_LENGTH`` characters of ``body`` around the first searched term, the searched terms marked.

    A word matches as the index matched it: whole, in any case, and (as SQLite's index) with or without its
    accents; a phrase's mark spans its words and what separates them. The marks only help the eye; which messages
    match is the database's decision."""
    words = _matches(body, terms)
    first = words[0][0] if words else 0
    start = max(0, min(first - SNIPPET_LENGTH // 4, len(body) - SNIPPET_LENGTH))
    end = min(len(body), start + SNIPPET_LENGTH)
    parts: list[SnippetPart] = []
    at = start
    for word_start, word_end in words:
        if word_end <= start or word_start >= end:
            continue
        word_start, word_end = max(word_start, start), min(word_end, end)
        if word_start > at:
            parts.append(SnippetPart(text=body[at:word_start], match=False))
        parts.append(SnippetPart(text=body[word_start:word_end], match=True))
        at = word_end
    if at < end:
        parts.append(SnippetPart(text=body[at:end], match=False))
    if start > 0:
        parts.insert(0, SnippetPart(text='…', match=False))
    if end < len(body):
        parts.append(SnippetPart(text='…', match=False))
    return parts


def _matches(body: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where ``terms`` are in ``body``: (start, end) of each, in order, overlapping ones (a phrase's repeats) merged."""
    wanted = {_phrase(term) for term in terms}
    found = list(_words_of(body).finditer(body))
    folded = [_folded(word.group()) for word in found]
    spans: list[tuple[int, int]] = []
    for at, word in enumerate(folded):
        for phrase in wanted:
            if word == phrase[0] and tuple(folded[at:at + len(phrase)]) == phrase:
                span = (found[at].start(), found[at + len(phrase) - 1].end())
                if spans and span[0] < spans[-1][1]:
                    spans[-1] = (spans[-1][0], max(span[1], spans[-1][1]))
                else:
                    spans.append(span)
    return spans


def _phrase(term: str) -> tuple[str, ...]:
    """A term's words as the index compares them: one, or a phrase's several."""
    return tuple(_folded(word) for word in term.split(' '))


def _occurrences(words: list[str], phrase: tuple[str, ...]) -> int:
    return sum(1 for at, word in enumerate(words) if word == phrase[0] and tuple(words[at:at + len(phrase)]) == phrase)


@lru_cache(maxsize=65_536)
def _folded(word: str) -> str:
    """``word`` without case and accents (``unicode61 remove_diacritics 2``, roughly).

    Ranking folds every word of 200 candidates (about 2,000 words, 10 ms when each was decomposed anew, a fifth of a
    search's budget): ASCII has neither accents nor case folds beyond ``lower``, and the rest repeats, so a cache."""
    if word.isascii():
        return word.lower()
    if len(word) == 1 and has_cjk(word):  # neither index folds them: ｶ is not カ, nor ガ カ
        return word
    decomposed = unicodedata.normalize('NFKD', word.casefold())
    return ''.join(char for char in decomposed if not unicodedata.combining(char))
