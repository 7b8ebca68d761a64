"""The list of message blocks: the ``Renderer`` a ``MessageWindow`` draws through.

Whether a message shows its sender's name or its time depends on its neighbours, which may sit in the next block
(a message that arrives live starts a new block when the last one is full, a page of history lands before the first
block). So drawing is deferred: the window's operations only mark the blocks whose looks may have changed (the block
itself and its neighbours), and ``flush`` draws each of them once after the operation. A block draws nothing when it
looks the same, so a neighbour that did not change sends nothing to the browser.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nicegui import ui

from chatapp.schemas import MessageData
from pages.chat.bubble import Block, Shown
from pages.chat.painter import Painter, ReceiptLine
from pages.hooks import hook

_RECEIPT_CLICK = '(e) => { if (e.target.closest && e.target.closest("[data-receipt]")) emit(); }'
"""One listener for the whole list: a click on a "Seen by N" line (a ``button`` in a block's HTML) asks who."""


class MessageList:
    """The ``message-list`` column and the blocks in it, drawn by ``painter``."""

    def __init__(self, painter: Painter, *, on_receipt: Callable[[], None]) -> None:
        self.painter = painter
        self.element = hook(ui.column(), 'message-list').classes('w-full gap-1 px-3 pb-2')
        self.element.on('click', lambda _: on_receipt(), js_handler=_RECEIPT_CLICK)
        self._dirty: dict[int, Block] = {}

    def blocks(self) -> list[Block]:
        return [child for child in self.element.default_slot.children if isinstance(child, Block)]

    # --- the window's renderer -----------------------------------------------------------------------------------

    def new_block(self, messages: Sequence[MessageData], *, at_start: bool) -> Block:
        with self.element:
            block = hook(Block(messages), 'message-block')
        if at_start:
            block.move(self.element, target_index=0)
        # The neighbour on the joining side may gain or lose a name (the next block) or a time (the previous one).
        self._mark(block, before=not at_start, after=at_start)
        return block

    def extend(self, block: Block, message: MessageData) -> None:
        block.messages.append(Shown.of(message))  # only the last block grows: no neighbour looks at its end
        self._dirty[block.id] = block

    def remove(self, block: Block) -> None:
        self._mark(block, before=True, after=True)
        self._dirty.pop(block.id, None)
        self.element.remove(block)

    # --- drawing -------------------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Draw every block marked since the last flush that is still on the page."""
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, {}
        blocks = self.blocks()
        for index, block in enumerate(blocks):
            if block.id in dirty:
                before = blocks[index - 1].messages[-1] if index > 0 else None
                after = blocks[index + 1].messages[0] if index + 1 < len(blocks) else None
                block.show(self.painter.looks(block.messages, before=before, after=after))

    def redraw(self) -> None:
        """Draw every block again (names changed)."""
        for block in self.blocks():
            self._dirty[block.id] = block
        self.flush()

    def set_receipt(self, line: ReceiptLine | None) -> None:
        """Move the receipt line: the blocks that held it and will hold it are drawn again."""
        old, self.painter.receipt = self.painter.receipt, line
        if old == line:
            return
        seqs = {item.seq for item in (old, line) if item is not None}
        for block in self.blocks():
            if any(message.seq in seqs for message in block.messages):
                self._dirty[block.id] = block
        self.flush()

    def seqs_of(self, sender_id: int) -> list[int]:
        """The shown text messages of ``sender_id``, oldest first."""
        return [message.seq for block in self.blocks() for message in block.messages
                if message.sender_id == sender_id and message.kind == 'text']

    def _mark(self, block: Block, *, before: bool, after: bool) -> None:
        """Mark ``block`` and the chosen neighbours to be drawn."""
        blocks = self.blocks()
        index = blocks.index(block)
        chosen = [block]
        if before and index > 0:
            chosen.append(blocks[index - 1])
        if after and index + 1 < len(blocks):
            chosen.append(blocks[index + 1])
        for each in chosen:
            self._dirty[each.id] = each
