"""Pages of this process that wait for their uploads: the upload route tells the page whose token carried the nonce.

The browser uploads with a plain HTTP request (``POST /files/upload``), outside the page's socket, so the page learns
of a finished upload here: it registers the nonce of its upload tokens with a callback when it opens and unregisters
when it goes away (``client.on_delete``). Nonces are random and travel only to the page's own browser, so a page
never hears of another page's upload. An upload whose page is on another process, or gone, is still stored: the
route's JSON answer carries the same ``AttachmentInfo``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from chatapp.schemas import AttachmentInfo

log = logging.getLogger(__name__)

Arrived = Callable[[AttachmentInfo], None]


class Waiting:
    """Nonce -> callback, for the pages of this process. Used on the event loop only."""

    def __init__(self) -> None:
        self._pages: dict[str, Arrived] = {}

    def register(self, nonce: str, arrived: Arrived) -> Callable[[], None]:
        """Call ``arrived`` (on the event loop) with each upload made with a token of ``nonce``; returns the
        function that unregisters it."""
        self._pages[nonce] = arrived
        return lambda: self.unregister(nonce, arrived)

    def unregister(self, nonce: str, arrived: Arrived | None = None) -> None:
        """Forget ``nonce`` (only if it still belongs to ``arrived``, when given)."""
        if arrived is None or self._pages.get(nonce) is arrived:
            self._pages.pop(nonce, None)

    def deliver(self, nonce: str, info: AttachmentInfo) -> bool:
        """Tell the page of ``nonce`` that ``info`` was stored; whether one was waiting. A page's failure is logged,
        never the uploader's problem: the upload is stored either way."""
        arrived = self._pages.get(nonce)
        if arrived is None:
            return False
        try:
            arrived(info)
        except Exception:
            log.exception('the page waiting for upload %d failed', info.id)
        return True

    def __len__(self) -> int:
        return len(self._pages)
