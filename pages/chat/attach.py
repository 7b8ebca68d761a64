"""Sending a picture or a file: a dialog with Quasar's uploader, a caption and Send.

The bytes go from the browser straight to ``POST /files/upload`` (``chatapp.files.routes``), never through the page's
socket: the uploader posts the raw file (``send-raw``) with an upload token that names this page by a random nonce,
shows its own progress bar, and the route tells this page through ``chat.files.waiting`` once the file is stored and
checked. Only then does Send appear; sending makes a message that carries the upload (``send_message``'s
``attachment_id``) with the caption as its text.

The dialog is made the first time it is needed (most pages never send a file). A file dropped on the conversation or
pasted into the message box is kept by the browser (``window.chatappFiles``) while the server opens the dialog, then
handed to the uploader; nothing of it travels on the socket.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from html import escape
from typing import Any

from nicegui import Client, events, ui

from chatapp.app import ChatApp
from chatapp.files import new_nonce
from chatapp.schemas import AttachmentInfo
from pages.chat.sizes import size_text
from pages.hooks import hook

NAME_HEADER = 'X-File-Name'
_HEADERS = f'(files) => [{{name: {json.dumps(NAME_HEADER)}, value: encodeURIComponent(files[0].name)}}]'
"""The file's name travels in a header (the body is the raw file); the route cleans it."""
_FAILED = '''(info) => {
  const xhr = info && info.xhr;
  emit({status: xhr ? xhr.status : 0, text: xhr && typeof xhr.responseText === 'string'
        ? xhr.responseText.slice(0, 300) : ''});
}'''
_KEEP_DROPPED = '''(e) => {
  if (!e.dataTransfer || !e.dataTransfer.files || !e.dataTransfer.files.length) return;
  e.preventDefault(); window.chatappFiles = [...e.dataTransfer.files]; emit();
}'''
_ALLOW_DROP = '(e) => { if (e.dataTransfer && [...e.dataTransfer.types].includes("Files")) e.preventDefault(); }'
_KEEP_PASTED = '''(e) => {
  const files = e.clipboardData ? [...e.clipboardData.files] : [];
  if (!files.length) return;
  e.preventDefault(); window.chatappFiles = files; emit();
}'''
_HAND_OVER = '''
  let tries = 0;
  const give = () => {
    const uploader = getElement(__ID__);
    if (uploader && uploader.addFiles) {
      if (window.chatappFiles) uploader.addFiles(window.chatappFiles);
      window.chatappFiles = null;
    } else if (tries++ < 50) setTimeout(give, 20);
  };
  give();
'''
"""Hands files kept by the browser to the uploader once it is on the page (the dialog draws it when it opens)."""
STATUS_TEXT = {413: 'This file is too big.', 403: 'The upload expired. Try again.',
               404: 'This conversation is not available.'}


def watch_drops(target: ui.element, box: ui.element, opened: Callable[[], None]) -> None:
    """Files dropped on ``target`` or pasted into ``box`` open the dialog (``opened``) with them."""
    target.on('dragover', js_handler=_ALLOW_DROP)
    target.on('drop', lambda _: opened(), js_handler=_KEEP_DROPPED)
    box.on('paste', lambda _: opened(), js_handler=_KEEP_PASTED)


class AttachDialog:
    """One per chat view, made on first use; ``send(caption, attachment_id, txn)`` sends the message."""

    def __init__(self, chat: ChatApp, client: Client, *, me: int, conversation_id: int, root: ui.element,
                 max_bytes: int, send: Callable[[str, int, str], Any]) -> None:
        self.chat = chat
        self.client = client
        self.me = me
        self.conversation_id = conversation_id
        self._send = send
        self.nonce = new_nonce()
        self.ready: AttachmentInfo | None = None
        self._used = False
        self._unregister = chat.files.waiting.register(self.nonce, self._arrived)
        client.on_delete(self._unregister)
        with root, ui.dialog() as self.dialog, hook(ui.card(), 'attach-dialog').classes('gap-2 w-[30rem] max-w-full'):
            ui.label('Send a picture or file').classes('text-lg font-bold').props('role=heading aria-level=2')
            self.uploader = hook(ui.element('q-uploader'), 'file-uploader').classes('w-full')
            self.uploader.props.update({'send-raw': True, 'auto-upload': True, 'max-files': 1, 'flat': True,
                                        'bordered': True, 'max-file-size': max_bytes,
                                        'label': 'Drop a picture or file here, or pick one'})
            self.uploader.props[':headers'] = _HEADERS  # a ':' prop is JavaScript that NiceGUI evaluates
            self.uploader.on('failed', self._failed, js_handler=_FAILED)
            self.uploader.on('rejected', lambda _: self._say(f'Files can be at most {max_bytes // 2**20} MB.'))
            self.problem = hook(ui.label(''), 'attach-problem').classes('text-negative text-sm').props('role=alert')
            self.preview = hook(ui.html(''), 'attach-preview')
            self.caption = hook(ui.input(placeholder='Add a caption (optional)'), 'attach-caption') \
                .classes('w-full').props('outlined dense maxlength=4000')
            with ui.row().classes('gap-1 justify-end w-full'):
                ui.button('Cancel', on_click=self.close).props('flat no-caps')
                self.send_button = hook(ui.button('Send', icon='send', on_click=self._send_now), 'attach-send') \
                    .props('unelevated no-caps')
        self.send_button.set_enabled(False)

    def open(self, *, with_kept_files: bool = False) -> None:
        """Open afresh (a new upload token each time: they expire); hand over what the browser kept, if asked."""
        self.ready = None
        self.problem.set_text('')
        self.preview.set_content('')
        self.send_button.set_enabled(False)
        if self._used:
            self.uploader.run_method('reset')
        self._used = True
        token = self.chat.files.links.upload_token(self.me, self.conversation_id, self.nonce)
        self.uploader.props['url'] = f'/files/upload?token={token}'
        self.uploader.update()
        self.dialog.open()
        if with_kept_files:
            self.client.run_javascript(_HAND_OVER.replace('__ID__', str(self.uploader.id)))

    def close(self) -> None:
        self.dialog.close()

    def _arrived(self, info: AttachmentInfo) -> None:
        """The route stored an upload made with this page's token."""
        if self.client.is_deleted:
            return
        self.ready = info
        self.problem.set_text('')
        self.preview.set_content(preview_html(info, self.chat.files.links.file_url(self.me, info.id, 'thumb')))
        self.send_button.set_enabled(True)

    def _failed(self, event: events.GenericEventArguments) -> None:
        """The route's refusal is a short sentence for people (413, 429, …): say it, else what the status means."""
        args = event.args if isinstance(event.args, dict) else {}
        status, text = args.get('status'), args.get('text')
        if isinstance(text, str) and text.strip() and isinstance(status, int) and 400 <= status < 500:
            self._say(text.strip()[:300])
        else:
            self._say(STATUS_TEXT.get(status, 'The upload failed. Try again.') if isinstance(status, int)
                      else 'The upload failed. Try again.')

    def _say(self, text: str) -> None:
        self.problem.set_text(text)

    def _send_now(self) -> None:
        if self.ready is None:
            return
        caption = str(self.caption.value or '')  # read once, never written by the server after it was made
        attachment, self.ready = self.ready, None
        self.caption.value = ''
        self.close()
        self._send(caption, attachment.id, uuid.uuid4().hex[:20])


def preview_html(info: AttachmentInfo, thumb_url: str) -> str:
    """What the dialog shows of a stored upload: the picture's thumbnail, or the file's name and size."""
    if info.kind == 'image':
        return f'<img src="{escape(thumb_url)}" alt="{escape(info.filename)}" class="attach-thumb">'
    return f'<div class="attach-file">{escape(info.filename)} · {escape(size_text(info.size))}</div>'


