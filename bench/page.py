"""A page as a browser holds it: the element tree NiceGUI embeds in the HTML, kept current by ``update`` messages.

The mirror is what lets the load tool act like a person: it finds the input and the buttons by their ``data-testid``
and the listener ids their events need, exactly as the browser's Vue app finds them, with no knowledge of the
server's internals.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

Element = dict[str, Any]

_ELEMENTS = re.compile(r'parseElements\(String\.raw`(.*?)`\)', re.S)
_QUERY = re.compile(r'^\s*query: (\{.*\}),$', re.M)
_UNESCAPE = (('&#36;', '$'), ('&#96;', '`'), ('&gt;', '>'), ('&lt;', '<'), ('&amp;', '&'))  # as parseElements()


class PageError(RuntimeError):
    """The page is not what the tool expected (no NiceGUI page, no such element)."""


@dataclass
class Page:
    """The elements of one page by id, and the socket.io query its HTML carries."""

    path: str
    elements: dict[str, Element]
    query: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, path: str, html: str) -> Page:
        elements, query = _ELEMENTS.search(html), _QUERY.search(html)
        if elements is None or query is None:
            raise PageError(f'{path} is not a NiceGUI page')
        raw = elements.group(1)
        for escaped, plain in _UNESCAPE:
            raw = raw.replace(escaped, plain)
        # The query is a Python dict rendered into the page (True, not true): read it as Python literals.
        return cls(path, json.loads(raw), ast.literal_eval(query.group(1)))

    def apply(self, update: dict[str, Element | None]) -> None:
        """Merge an ``update`` message: ``None`` deletes an element, anything else replaces it whole."""
        for element_id, element in update.items():
            if element is None:
                self.elements.pop(element_id, None)
            else:
                self.elements[element_id] = element

    def find(self, testid: str) -> tuple[int, Element] | None:
        """The element whose ``data-testid`` is ``testid``, if the page shows it; else the element whose HTML holds
        it (a part of a ``ui.html`` block, as a browser's CSS selector finds it: there to be seen, not to act on)."""
        for element_id, element in self.elements.items():
            if element.get('props', {}).get('data-testid') == testid:
                return int(element_id), element
        inner = f'data-testid="{testid}"'
        for element_id, element in self.elements.items():
            if inner in html_of(element):
                return int(element_id), element
        return None

    def count(self, testid: str) -> int:
        """How many elements ``testid`` marks, counting those inside an element's HTML too (a page of history is
        one element holding the bubbles as HTML)."""
        return sum(1 if e.get('props', {}).get('data-testid') == testid else html_of(e).count(f'data-testid="{testid}"')
                   for e in self.elements.values())


def listener(element: Element, kind: str, key: str | None = None) -> str:
    """The listener id of ``element``'s ``kind`` event (``keydown`` with ``key='enter'`` for Enter)."""
    for event in element.get('events', []):
        if event['type'] == kind and (key is None or key in event.get('keys', [])):
            return str(event['listener_id'])
    raise PageError(f'element has no {kind} {key or ""} listener')


def html_of(element: Element) -> str:
    """What an element shows as HTML or text (``ui.html`` keeps it in ``innerHTML``)."""
    return str(element.get('props', {}).get('innerHTML') or element.get('text') or '')
