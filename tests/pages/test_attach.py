"""Sending a picture or a file from the chat page: the upload (made here through the real route, as the browser's
uploader does) reaches the page that asked for it, Send carries it, and both people see it with links that work
for them only."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from nicegui.testing import User
from PIL import Image

from chatapp.app import ChatApp
from chatapp.services import attachments, conversations
from pages.chat.attach import NAME_HEADER
from tests.factories import make_friends, make_user, open_chat
from tests.pages.helpers import blocks_html, eventually, signed_in, wait_for_message
from tests.pages.test_inbox import inbox_rows
from tests.pages.test_notifications import toasts_become


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new('RGB', (40, 30), (10, 120, 200)).save(buffer, format='PNG')
    return buffer.getvalue()


async def _upload(tab: User, body: bytes, name: str) -> int:
    """What the browser's uploader does once a file is picked: POST it raw to the URL the page gave it."""
    (uploader,) = tab.find(marker='file-uploader').elements
    response = await tab.http_client.post(uploader.props['url'], content=body, headers={NAME_HEADER: name})
    return response.status_code


async def test_a_picture_reaches_both_sides_with_a_caption(user: User, create_user: Callable[[], User],
                                                          chat: ChatApp) -> None:
    alice_data, bob_data = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    make_friends(chat.run, alice_data, bob_data)
    alice, bob = user, create_user()
    await signed_in(alice, 'alice', '/chat/bob')
    await signed_in(bob, 'bob', '/chat/alice')
    alice.find(marker='attach-button').click()
    await alice.should_see(marker='attach-dialog')
    (send,) = alice.find(marker='attach-send').elements
    assert not send.enabled  # nothing to send before the upload is stored

    assert await _upload(alice, _png(), 'sea%20view.png') == 200
    await eventually(lambda: send.enabled, 'Send enabled once the upload arrived')
    alice.find(marker='attach-caption').type('the view')
    alice.find(marker='attach-send').click()

    for tab, viewer in ((alice, alice_data.id), (bob, bob_data.id)):
        await wait_for_message(tab, 'the view')
        html = blocks_html(tab)
        assert 'data-testid="picture"' in html and 'alt="sea view.png"' in html
        thumb = re.search(r'<img src="([^"]+)"', html)
        assert thumb is not None
        fetched = await tab.http_client.get(thumb.group(1))
        assert fetched.status_code == 200 and fetched.headers['content-type'].startswith('image/')
        assert chat.files.links.read_file_token(thumb.group(1).rsplit('/', 1)[1]).viewer_id == viewer


async def test_a_refused_upload_never_enables_send(user: User, chat: ChatApp) -> None:
    alice_data, bob_data = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    make_friends(chat.run, alice_data, bob_data)
    await signed_in(user, 'alice', '/chat/bob')
    user.find(marker='attach-button').click()
    await user.should_see(marker='attach-dialog')
    assert await _upload(user, b'', 'empty.txt') == 400
    (send,) = user.find(marker='attach-send').elements
    assert not send.enabled


async def test_the_inbox_and_the_toast_say_what_a_message_without_caption_carries(user: User, chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    chat_id = open_chat(chat.run, alice, bob)
    await signed_in(user, 'alice', '/')
    await user.should_see(marker='inbox')
    stored, _ = chat.run.run_sync(attachments.record_upload, actor_id=bob.id, conversation_id=chat_id, sha256='0' * 64,
                                  kind='file', mime='application/pdf', filename='plan.pdf', size=1234,
                                  width=None, height=None)
    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=chat_id, body='',
                   attachment_id=stored.id)
    (toast,) = await toasts_become(user, 1)
    assert toast[2] == '📎 plan.pdf'
    await eventually(lambda: [row.last for row in inbox_rows(user)] == ['📎 plan.pdf'], 'the row says so')
    await user.open('/')
    await eventually(lambda: [row.last for row in inbox_rows(user)] == ['📎 plan.pdf'], 'and after a reload')
