"""The list of message blocks: the ``Renderer`` a ``MessageWindow`` draws through.

Whether a message shows its sender's name or its time depends on its neighbours, which may sit in the next block
(a message that arrives live starts a new block when the last one is full, a page of history lands before the first
block). So drawing is deferred: the window's operations only mark the blocks whose looks may have changed (the block
itself and its neighbours), and ``flush`` draws each of them once after the operation, from the first message whose
look may have changed: a live message changes the looks of only itself and the one before it, and the block keeps the
HTML of the rest. A block draws nothing when it looks the same, so a neighbour that did not change sends nothing to
the browser.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from nicegui import events, ui

from chatapp.schemas import MessageData
from chatapp.services.message_details import quote
from models import REACTIONS
from pages.chat.bubble import Block, Shown
from pages.chat.painter import Painter, ReceiptLine
from pages.hooks import hook

ACTIONS = frozenset({'readers', 'menu', 'react', 'quote'})
_CLICK = ('(e) => { const t = e.target.closest && e.target.closest("[data-act]"); if (!t) return;'
          ' const m = t.closest("[data-seq]");'
          ' emit({act: t.dataset.act, seq: m ? Number(m.dataset.seq) : 0, emoji: t.dataset.emoji || ""}); }')
"""One listener for the whole list: a click on a button of a block's HTML (``data-act``: "Seen by N", a message's
actions, a reaction, a quote) says which, on which message (``data-seq``) and, for a reaction, which emoji. Links
(``<a>``) are left to the browser."""
Action = Callable[[str, int, str], None]
"""``(act, seq, emoji)``: checked against ``ACTIONS`` and the reaction set before it is called."""


class MessageList:
    """The ``message-list`` column and the blocks in it, drawn by ``painter``."""

    def __init__(self, painter: Painter, *, on_action: Action) -> None:
        self.painter = painter
        self.element = hook(ui.column(), 'message-list').classes('w-full gap-1 px-3 pb-2')
        self._on_action = on_action
        self.element.on('click', self._clicked, js_handler=_CLICK)
        self._dirty: dict[int, tuple[Block, int]] = {}
        """Blocks to draw again at the next ``flush``, each from the first message whose look may have changed."""

    def _clicked(self, event: events.GenericEventArguments) -> None:
        """A click from the browser, checked: any socket may send anything here."""
        args = event.args
        if not isinstance(args, dict):
            return
        act, seq, emoji = args.get('act'), args.get('seq'), args.get('emoji')
        if act not in ACTIONS or not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(emoji, str):
            return
        if act == 'react' and emoji not in REACTIONS:
            return
        self._on_action(act, seq, emoji)

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
        """Only the last block grows, so no neighbour looks at its end; in it, the message before the new one may
        lose its time (the new one continues its run), and the rest look the same."""
        block.messages.append(Shown.of(message))
        self._mark_from(block, len(block.messages) - 2)

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
            marked = dirty.get(block.id)
            if marked is None:
                continue
            start = min(marked[1], block.drawn)
            messages = block.messages
            if start:
                before: Shown | None = messages[start - 1]
            else:
                before = blocks[index - 1].messages[-1] if index else None
            after = blocks[index + 1].messages[0] if index + 1 < len(blocks) else None
            block.show(self.painter.looks(messages[start:], before=before, after=after), start=start)

    def redraw(self) -> None:
        """Draw every block again (names changed)."""
        for block in self.blocks():
            self._mark_from(block, 0)
        self.flush()

    def redraw_person(self, user_id: int) -> None:
        """Draw again the blocks that show ``user_id``'s name or picture (their new name or picture): those holding a
        message of theirs, a reply quoting them or a reaction of theirs."""
        for block in self.blocks():
            if any(message.sender_id == user_id or (message.reply is not None and message.reply.sender_id == user_id)
                   or any(user_id in user_ids for _, user_ids in message.reactions) for message in block.messages):
                self._mark_from(block, 0)
        self.flush()

    def set_receipt(self, line: ReceiptLine | None) -> None:
        """Move the receipt line: the blocks that held it and will hold it are drawn again."""
        old, self.painter.receipt = self.painter.receipt, line
        if old == line:
            return
        self._mark_seqs({item.seq for item in (old, line) if item is not None})

    def _mark_seqs(self, seqs: set[int]) -> None:
        """Draw again the messages ``seqs`` (and what follows them in their blocks)."""
        for block in self.blocks():
            for index, message in enumerate(block.messages):
                if message.seq in seqs:
                    self._mark_from(block, index)
                    break
        self.flush()

    def find(self, seq: int) -> Shown | None:
        """The shown message ``seq``, if it is shown."""
        for block in self.blocks():
            if block.messages and block.messages[0].seq <= seq <= block.messages[-1].seq:
                return next((message for message in block.messages if message.seq == seq), None)
        return None

    def replace(self, message: MessageData) -> bool:
        """Show the new state of a changed message (kept only when newer than the one shown), and the quotes of the
        replies to it; whether anything shown changed."""
        changed = False
        new = Shown.of(message)
        quoted = quote(message.seq, message.sender_id, message.body, deleted=message.deleted)
        for block in self.blocks():
            for index, shown in enumerate(block.messages):
                if shown.seq == message.seq and message.change_seq > shown.change_seq:
                    block.messages[index] = new
                elif shown.reply is not None and shown.reply.seq == message.seq and shown.reply != quoted:
                    block.messages[index] = dataclasses.replace(shown, reply=quoted)
                else:
                    continue
                self._mark_from(block, index)  # a change keeps its sender, kind and time: its neighbours look the same
                changed = True
        self.flush()
        return changed

    def set_target(self, seq: int | None) -> None:
        """Highlight message ``seq`` (a jump's destination) and no other."""
        old, self.painter.target_seq = self.painter.target_seq, seq
        self._mark_seqs({item for item in (old, seq) if item is not None})

    def seqs_of(self, sender_id: int) -> list[int]:
        """The shown text messages of ``sender_id``, oldest first."""
        return [message.seq for block in self.blocks() for message in block.messages
                if message.sender_id == sender_id and message.kind == 'text']

    def _mark(self, block: Block, *, before: bool, after: bool) -> None:
        """Mark ``block`` and the chosen neighbours to be drawn."""
        blocks = self.blocks()
        index = blocks.index(block)
        self._mark_from(block, 0)
        if before and index > 0:
            previous = blocks[index - 1]
            self._mark_from(previous, len(previous.messages) - 1)  # its last message may gain or lose its time
        if after and index + 1 < len(blocks):
            self._mark_from(blocks[index + 1], 0)  # its first message may gain or lose its name

    def _mark_from(self, block: Block, index: int) -> None:
        """Draw ``block`` again at the next ``flush``, from message ``index`` on (with what was marked before)."""
        index = max(index, 0)
        marked = self._dirty.get(block.id)
        if marked is None or index < marked[1]:
            self._dirty[block.id] = (block, index)
