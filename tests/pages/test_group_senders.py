"""Who wrote what in a group, as a view shows it: people who left keep their names (a deleted account shows as
"Deleted account"), and the messages of someone I block are folded away."""

from __future__ import annotations

from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.services import blocking, groups, profiles
from pages.chat.bubble import BLOCKED
from tests.factories import make_group, make_user, say
from tests.pages.helpers import blocks_html, bubbles, eventually, signed_in, wait_for_message


async def test_someone_who_left_keeps_their_name_on_their_messages(user: User, chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob', display_name='Bobby')
    group = make_group(chat.run, alice, [bob]).conversation_id
    say(chat.run, bob, group, 'see you all')
    chat.run.run_sync(groups.leave_group, actor_id=bob.id, conversation_id=group)
    await signed_in(user, 'alice', f'/group/{group}')
    await wait_for_message(user, 'see you all')
    await eventually(lambda: ('see you all', 'Bobby', True) in bubbles(user), 'the name learnt')


async def test_the_messages_of_someone_i_block_are_folded(user: User, chat: ChatApp) -> None:
    alice, bob, carol = (make_user(chat.run, name) for name in ('alice', 'bob', 'carol'))
    group = make_group(chat.run, alice, [bob, carol]).conversation_id
    say(chat.run, carol, group, 'carol speaking')
    say(chat.run, alice, group, 'alice speaking')
    chat.run.run_sync(blocking.block, actor_id=bob.id, user_id=carol.id)
    await signed_in(user, 'bob', f'/group/{group}')
    await wait_for_message(user, 'alice speaking')
    html = blocks_html(user)
    assert f'<details class="collapsed"><summary>{BLOCKED}</summary>carol speaking</details>' in html
    assert html.count('<details') == 1  # alice's message is not folded


async def test_a_members_picture_shows_beside_their_name(user: User, chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    chat.run.run_sync(profiles.set_avatar, actor_id=bob.id, avatar='c' * 64)
    group = make_group(chat.run, alice, [bob]).conversation_id
    say(chat.run, bob, group, 'first')
    say(chat.run, bob, group, 'second')
    say(chat.run, alice, group, 'mine')
    await signed_in(user, 'alice', f'/group/{group}')
    await wait_for_message(user, 'mine')
    html = blocks_html(user)
    assert html.count('data-avatar="1"') == 1  # bob's run, once; never on my side
    assert f'/avatars/{"c" * 64}-' in html
