"""The text side of message search, with no database: a query cleaned into words, and a snippet around a match.

A word is a run of letters, digits and combining marks (Unicode categories L, N, M and private use), the same rule
as the SQLite index's tokenizer (revision 0005). Everything else (quotes, ``*``, ``-``, parentheses, emoji,
punctuation) only separates words, so nothing a person types can reach FTS5's or ``tsquery``'s syntax: the
service quotes each word (``OR`` and ``NEAR`` are words like any other).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

from chatapp.errors import Invalid
from chatapp.schemas import SnippetPart

MIN_QUERY_LETTERS = 2
"""Letters or digits a query needs in all: one letter would match most messages and tell nothing."""
MAX_QUERY_LENGTH = 100
MAX_TERMS = 8
"""Each word is one more list to intersect: a query of many words costs more and rarely finds more."""
BM25_K1 = 1.2
BM25_B = 0.75
"""Okapi BM25's usual constants (FTS5's too): how fast repeats stop counting, how much length counts."""
SNIPPET_LENGTH = 160
"""Characters of a message a hit shows around its first match (a result shows two lines)."""
_SURROGATE = re.compile('[\ud800-\udfff]')


@lru_cache(maxsize=1)
def _word_pattern() -> re.Pattern[str]:
    """A character class of every word character (built once from the Unicode database Python ships)."""
    ranges: list[str] = []
    start = None
    for code in range(sys.maxunicode + 2):
        word = code <= sys.maxunicode and _is_word_char(chr(code))
        if word and start is None:
            start = code
        elif not word and start is not None:
            ranges.append(_range(start, code - 1))
            start = None
    return re.compile(f'[{"".join(ranges)}]+')


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
    """The words of ``query`` (lowercased, each once, in order), or ``Invalid`` with a ``code`` that names the
    problem: ``blank``, ``bad_characters``, ``too_long``, ``no_words``, ``too_short``, ``too_many_words``."""
    text = query.strip()
    if not text:
        raise Invalid('Type a word to search for.', code='blank')
    if '\x00' in text or _SURROGATE.search(text):
        raise Invalid('This search contains a character that cannot be searched for. Remove it and try again.',
                      code='bad_characters')
    if len(text) > MAX_QUERY_LENGTH:
        raise Invalid(f'Search for at most {MAX_QUERY_LENGTH} characters ({len(text)} now).', code='too_long')
    terms = list(dict.fromkeys(word.lower() for word in _word_pattern().findall(text)))
    if not terms:
        raise Invalid('Search for words or numbers: punctuation and emoji alone cannot be searched for.',
                      code='no_words')
    if sum(len(term) for term in terms) < MIN_QUERY_LETTERS:
        raise Invalid(f'Type at least {MIN_QUERY_LETTERS} letters to search.', code='too_short')
    if len(terms) > MAX_TERMS:
        raise Invalid(f'Search for at most {MAX_TERMS} words at once.', code='too_many_words')
    return terms


def fts5_match(terms: list[str]) -> str:
    """An FTS5 query that finds messages holding every one of ``terms``: each a quoted string (words never hold a
    quote, and doubling any would keep it a string), so no operator or column filter can be formed."""
    return ' '.join('"' + term.replace('"', '""') + '"' for term in terms)


def rank(candidates: list[tuple[int, str]], terms: list[str]) -> list[tuple[int, str]]:
    """``candidates`` (message id, text) best first: Okapi BM25 over the candidates, ties newest (highest id) first.

    Every candidate holds every word, so the words' rarity (BM25's IDF) would only weigh one word's repeats against
    another's: it is left out, because counting a common word's matches is what FTS5's own ``bm25()`` spends 20-45 ms
    on. What is left ranks a message higher the more often it repeats the words and the shorter it is, the same on
    both backends."""
    wanted = {_folded(term) for term in terms}
    counted = []
    for message_id, body in candidates:
        words = [_folded(word) for word in _words_of(body).findall(body)]
        counted.append((message_id, body, len(words), [words.count(term) for term in wanted]))
    average = sum(length for _, _, length, _ in counted) / max(len(counted), 1) or 1.0

    def score(length: int, frequencies: list[int]) -> float:
        norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average)
        return sum(f * (BM25_K1 + 1) / (f + norm) for f in frequencies)

    ordered = sorted(counted, key=lambda c: (-score(c[2], c[3]), -c[0]))
    return [(message_id, body) for message_id, body, _, _ in ordered]


def snippet(body: str, terms: list[str]) -> list[SnippetPart]:
    """Up to ``SNIPPET_LENGTH`` characters of ``body`` around the first searched word, the searched words marked.

    A word matches as the index matched it: whole, in any case, and (as SQLite's index) with or without its
    accents. The marks only help the eye; which messages match is the database's decision."""
    wanted = {_folded(term) for term in terms}
    words = [(found.start(), found.end()) for found in _words_of(body).finditer(body)
             if _folded(found.group()) in wanted]
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


@lru_cache(maxsize=65_536)
def _folded(word: str) -> str:
    """``word`` without case and accents (``unicode61 remove_diacritics 2``, roughly).

    Ranking folds every word of 200 candidates (about 2,000 words, 10 ms when each was decomposed anew, a fifth of a
    search's budget): ASCII has neither accents nor case folds beyond ``lower``, and the rest repeats, so a cache."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize('NFKD', word.casefold())
    return ''.join(char for char in decomposed if not unicodedata.combining(char))
