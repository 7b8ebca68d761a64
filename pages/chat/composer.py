"""The message box: the browser owns the text, and the text travels with the send.

NiceGUI's ``ui.input`` mirrors every keystroke to the server and echoes values the server sets back from the browser.
A send that read the server's copy and cleared it with ``set_value('')`` lost text whenever the person pasted or
typed the next message before that echo came back (see NICEGUI-FACTS.md, "Inputs"). Here nothing races:

- The box is a plain ``<textarea>`` that the server never writes; typing sends nothing to the server.
- Enter (or the send button) runs one event handler in the browser, through NiceGUI's own ``js_handler``. In a
  single step of the browser's event loop, which no keystroke can interrupt, it reads the box, checks the text, and
  either emits ``{text, txn}`` and empties the box, or emits ``{problem}`` and leaves the text where it is. So what
  is sent is exactly what the person saw when they pressed Enter, and text that cannot be sent never leaves the box.
- Until the server confirms that a send is stored, its text is also kept in the tab's ``sessionStorage`` under its
  transaction id; after a reload (a restart of the server makes nicegui.js reload the page) the view reads those
  back, re-sends them with the same ids (stored at most once, see ``conversations.send_message``) and puts the
  unsent draft back in the box. The draft is kept there on every keystroke, in the browser only.
- With no live socket the handler keeps the text in the box (NiceGUI shows that the connection is lost), since a
  socket.io emit made then would be lost with a page reload.
- Typing is told in the browser too: the ``input`` handler emits ``true`` at most once per ``TYPING_EVERY`` seconds
  while the box holds text, and ``false`` once when it becomes empty; a send resets it (the receivers clear the line
  when the message arrives). Nothing else of a keystroke reaches the server.
- As a text nears the limit, the same handler writes "3,950 / 4,000" into the row's ``data-count`` (the stylesheet
  shows it; ``data-over`` marks a text past the limit): no round trip per keystroke.
Every snippet is fixed code: the only values put into it are numbers and ids made here, never text from a person.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from nicegui import Client, events, ui

from chatapp.services.conversations import TXN_PATTERN
from models.message import MAX_MESSAGE_LENGTH
from pages.hooks import hook

log = logging.getLogger(__name__)
RESTORE_TIMEOUT = 5.0

_SEND = '''
  const text = box.value;
  const length = [...text].length;
  const problem = !text.trim() ? 'blank'
    : /[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]/.test(text) ? 'surrogate'
    : text.includes('\\u0000') ? 'nul'
    : [...text.trim()].length > __MAX__ ? 'too_long' : '';
  if (problem) { emit({problem: problem, length: length}); return; }
  if (!window.socket || !window.socket.connected) return;
  const txn = Date.now().toString(36) + Math.random().toString(36).slice(2, 12).padEnd(10, '0');
  try { sessionStorage.setItem(__OUTBOX__ + txn, text); sessionStorage.removeItem(__DRAFT__); } catch (error) {}
  emit({text: text, txn: txn});
  box.value = '';
  delete box.dataset.typingAt;
  const row = box.closest('.composer-row'); if (row) { delete row.dataset.count; delete row.dataset.over; }
'''
_ENTER = '(e) => { if (e.shiftKey || e.isComposing || e.keyCode === 229) return; e.preventDefault(); ' \
         'const box = e.target; __SEND__ }'
_CLICK = '() => { const box = document.getElementById(__BOX__); if (!box) return; box.focus(); ' \
         "box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', keyCode: 13, bubbles: true})); }"
"""The send button presses Enter in the box: one handler sends, whichever way the person chose."""
_INPUT = '''(e) => {
  const box = e.target;
  try { sessionStorage.setItem(__DRAFT__, box.value); } catch (error) {}
  const row = box.closest('.composer-row');
  const length = [...box.value].length;
  if (row && length >= __COUNT_FROM__) {
    row.dataset.count = length.toLocaleString('en-US') + ' / ' + (__MAX__).toLocaleString('en-US');
    row.dataset.over = length > __MAX__;
  } else if (row) { delete row.dataset.count; delete row.dataset.over; }
  const typing = box.value.trim() !== '';
  const last = Number(box.dataset.typingAt || 0);
  if (typing && Date.now() - last >= __TYPING_EVERY__) { box.dataset.typingAt = Date.now(); emit(true); }
  else if (!typing && last) { delete box.dataset.typingAt; emit(false); }
}'''
"""Keeps the draft, shows the count near the limit and tells the server when typing starts and stops."""
TYPING_EVERY = 3.0
COUNT_FROM = MAX_MESSAGE_LENGTH - 500
_RESTORE = '''
  const box = document.getElementById(__BOX__);
  const pending = [];
  try {
    if (box && !box.value) box.value = sessionStorage.getItem(__DRAFT__) || '';
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i);
      if (key.startsWith(__OUTBOX__)) pending.push([key.slice(__OUTBOX__.length), sessionStorage.getItem(key)]);
    }
  } catch (error) {}
  return pending;
'''
_CONFIRM = 'try { for (const txn of __TXNS__) sessionStorage.removeItem(__OUTBOX__ + txn); } catch (error) {}'

SendHandler = Callable[[str, str], None]
"""``(text, txn)``: the person sent ``text``."""
ProblemHandler = Callable[[str, int], None]
"""``(code, length)``: the browser kept the text, which cannot be sent (``conversations.problem_message``)."""
TypingHandler = Callable[[bool], None]
"""``(active)``: the person started typing (again, every ``TYPING_EVERY`` s) or emptied the box."""


class Composer:
    """The box, the send button and a line that says why a text cannot be sent."""

    def __init__(self, *, storage_key: str, placeholder: str, on_send: SendHandler, on_problem: ProblemHandler,
                 on_typing: TypingHandler | None = None, on_attach: Callable[[], Any] | None = None) -> None:
        self._on_send = on_send
        self._on_problem = on_problem
        self._on_typing = on_typing
        self._outbox_key = f'chatapp.out.{storage_key}.'
        self._draft_key = f'chatapp.draft.{storage_key}'
        with hook(ui.row(), 'composer-row').classes('composer-row w-full items-end no-wrap gap-2') as self.row:
            if on_attach is not None:
                hook(ui.button(icon='attach_file', on_click=on_attach), 'attach-button') \
                    .props('flat round dense aria-label="Send a picture or file"')
            self.box = hook(ui.element('textarea'), 'message-input').classes('composer-box flex-grow') \
                .props('rows=1 autofocus enterkeyhint=send')
            # Set directly: a name in a props string would be parsed, and names are chosen by people.
            self.box.props['placeholder'] = self.box.props['aria-label'] = placeholder
            self._box_id = json.dumps(f'c{self.box.id}')
            self.box.on('keydown.enter', self._handle, js_handler=self._code(_ENTER))
            self.box.on('input', self._typing, js_handler=self._code(_INPUT))
            self.button = hook(ui.button(icon='send'), 'message-send').props('round unelevated aria-label=Send')
            self.button.on('click', js_handler=self._code(_CLICK))
        self._container = ui.context.slot.parent
        self._note: ui.label | None = None

    def show_problem(self, text: str) -> None:
        """Say under the box why its text was not sent (the line is made the first time it is needed)."""
        if self._note is None:
            with self._container:
                self._note = hook(ui.label(), 'composer-note').classes('text-negative text-sm').props('role=alert')
            self._note.move(self._container, target_index=self._container.default_slot.children.index(self.row) + 1)
        self._note.set_text(text)
        self._note.set_visibility(True)

    def clear_problem(self) -> None:
        if self._note is not None and self._note.visible:
            self._note.set_visibility(False)

    def focus(self) -> None:
        """Put the cursor in the box (after choosing Reply)."""
        self.box.run_method('focus')

    def set_visibility(self, visible: bool) -> None:
        self.row.set_visibility(visible)
        if not visible:
            self.clear_problem()

    async def restore(self, client: Client) -> list[tuple[str, str]]:
        """Put this tab's draft back into the box, and return the sends it made that were never confirmed
        (``(txn, text)``, oldest first). Nothing when the browser does not answer in time."""
        code = self._code(_RESTORE)
        try:
            answer = await client.run_javascript(code, timeout=RESTORE_TIMEOUT)
        except TimeoutError:
            return []
        if not isinstance(answer, list):
            return []
        pending = [(item[0], item[1]) for item in answer
                   if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                   and isinstance(item[1], str) and TXN_PATTERN.fullmatch(item[0])]
        return sorted(pending)  # the ids begin with the time of the send

    def confirm(self, client: Client, txns: list[str]) -> None:
        """Tell the browser that these sends are stored, so a reload never offers them again."""
        safe = [txn for txn in txns if TXN_PATTERN.fullmatch(txn)]
        if safe and not client.is_deleted:  # a closed page has nothing to forget: its tab re-sends, stored once
            client.run_javascript(self._code(_CONFIRM).replace('__TXNS__', json.dumps(safe)))

    def _code(self, template: str) -> str:
        return template.replace('__SEND__', _SEND).replace('__MAX__', str(MAX_MESSAGE_LENGTH)) \
            .replace('__OUTBOX__', json.dumps(self._outbox_key)).replace('__DRAFT__', json.dumps(self._draft_key)) \
            .replace('__BOX__', self._box_id).replace('__COUNT_FROM__', str(COUNT_FROM)) \
            .replace('__TYPING_EVERY__', str(int(TYPING_EVERY * 1000)))

    def _typing(self, event: events.GenericEventArguments) -> None:
        if self._on_typing is not None and isinstance(event.args, bool):
            self._on_typing(event.args)

    def _handle(self, event: events.GenericEventArguments) -> None:
        """What the browser emitted; anything of another shape (a forged event) is ignored."""
        args: Any = event.args
        if not isinstance(args, dict):
            return
        text, txn, problem = args.get('text'), args.get('txn'), args.get('problem')
        if isinstance(text, str) and isinstance(txn, str) and TXN_PATTERN.fullmatch(txn):
            self.clear_problem()
            self._on_send(text, txn)
        elif isinstance(problem, str) and len(problem) < 32:
            length = args.get('length')
            self._on_problem(problem, length if isinstance(length, int) and length >= 0 else 0)

