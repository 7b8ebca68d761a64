"""The inbox and the notifications follow message changes and mentions: an edited or deleted last message changes
its row's line, and a mention marks the row and raises a toast even in a muted group."""

from __future__ import annotations

from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.services import conversations, groups, message_changes
from tests.factories import make_group, make_user, open_chat, say
from tests.pages.helpers import eventually, signed_in
from tests.pages.test_inbox import inbox_html, inbox_rows
from tests.pages.test_notifications import toasts, toasts_become


async def test_the_row_shows_the_last_message_as_edited_then_deleted(user: User, chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    chat_id = open_chat(chat.run, alice, bob)
    first = say(chat.run, bob, chat_id, 'see you at 7')
    await signed_in(user, 'alice', '/')
    await user.should_see(marker='inbox')
    await eventually(lambda: [row.last for row in inbox_rows(user)] == ['see you at 7'], 'the first line')

    await chat.run(message_changes.edit_message, actor_id=bob.id, conversation_id=chat_id, seq=first.seq,
                   body='see you at 8')
    await eventually(lambda: [row.last for row in inbox_rows(user)] == ['see you at 8'], 'the edited line')
    await chat.run(message_changes.delete_message, actor_id=bob.id, conversation_id=chat_id, seq=first.seq)
    await eventually(lambda: [row.last for row in inbox_rows(user)] == ['This message was deleted'], 'deleted')

    await user.open('/')  # and so it reads from the database
    await eventually(lambda: [row.last for row in inbox_rows(user)] == ['This message was deleted'], 'read again')


async def test_a_mention_gets_through_a_mute(user: User, chat: ChatApp) -> None:
    alice, bob = (make_user(chat.run, name, display_name=name.title()) for name in ('alice', 'bob'))
    quiet = make_group(chat.run, bob, [alice], title='Quiet').conversation_id
    await chat.run(groups.set_muted, actor_id=alice.id, conversation_id=quiet, muted=True)
    await signed_in(user, 'alice', '/')
    await user.should_see(marker='inbox')

    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=quiet, body='nothing for you')
    await eventually(lambda: any(row.last.endswith('nothing for you') for row in inbox_rows(user)), 'the row moved')
    assert toasts(user) == [] and 'data-testid="inbox-mention"' not in inbox_html(user)

    await chat.run(conversations.send_message, actor_id=bob.id, conversation_id=quiet, body='@alice look')
    (toast,) = await toasts_become(user, 1)
    assert toast == (f'/group/{quiet}', 'Bob · Quiet', '@alice look')
    await eventually(lambda: 'data-testid="inbox-mention"' in inbox_html(user), 'the mention mark')

    await user.open('/')  # the mark comes from the database too
    await eventually(lambda: 'data-testid="inbox-mention"' in inbox_html(user), 'the mark read again')
