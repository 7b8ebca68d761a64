"""Profile pictures as people use them: picked in the settings card (uploaded through the real route, as the
browser's uploader does), removed again, and shown wherever the person shows: a friend's inbox row, the chat header,
the friends list, a group's members dialog and the profile card, the page header of the person themselves."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from nicegui import ui
from nicegui.element import Element
from nicegui.testing import User
from PIL import Image

from chatapp.app import ChatApp
from chatapp.files import avatars
from chatapp.schemas import UserPublic
from chatapp.services import profiles
from tests.factories import make_friends, make_group, make_user, open_chat, say
from tests.pages.helpers import eventually, signed_in
from tests.pages.test_inbox import inbox_html


def _photo(shade: int = 90) -> bytes:
    out = io.BytesIO()
    Image.new('RGB', (300, 200), (shade, 40, 160)).save(out, 'JPEG')
    return out.getvalue()


def _shown(chat: ChatApp, person: UserPublic) -> str | None:
    return chat.run.run_sync(profiles.my_profile, actor_id=person.id)[0].user.avatar


async def _upload_as(tab: User, chat: ChatApp, person: UserPublic, body: bytes) -> str:
    """Set ``person``'s picture through the route, with a token as their settings page makes it."""
    token = chat.avatars.tokens.upload_token(person.id, 'elsewhere')
    response = await tab.http_client.post(f'/files/avatar?token={token}', content=body)
    assert response.status_code == 200, response.text
    return str(response.json()['avatar'])


def _preview(tab: User) -> str:
    (preview,) = tab.find(marker='avatar-preview').elements
    return str(preview.content)  # type: ignore[attr-defined]


async def test_i_pick_a_picture_in_settings_see_it_and_remove_it(user: User, chat: ChatApp) -> None:
    alice = make_user(chat.run, 'alice')
    await signed_in(user, 'alice', '/settings')
    await user.should_see(marker='avatar-uploader')
    assert 'data-testid="avatar-img"' not in _preview(user)
    await user.should_not_see(marker='avatar-remove')

    (uploader,) = user.find(marker='avatar-uploader').elements
    response = await user.http_client.post(uploader.props['url'], content=_photo())
    assert response.status_code == 200, response.text
    picture = _shown(chat, alice)
    assert picture is not None
    await eventually(lambda: f'src="{avatars.url(picture, 96)}"' in _preview(user), 'the preview shows it')
    assert 'alt="Your profile picture"' in _preview(user)
    await user.should_not_see(marker='avatar-status', content='Picture saved.')  # said once the browser has emptied
    user.find(marker='avatar-uploader').trigger('uploaded')  # the uploader on the route's answer, as Quasar says
    await user.should_see(marker='avatar-status', content='Picture saved.')
    await user.should_see(marker='avatar-remove')
    fetched = await user.http_client.get(avatars.url(picture, 256))
    assert fetched.status_code == 200 and Image.open(io.BytesIO(fetched.content)).size == (256, 256)

    refused = await user.http_client.post(uploader.props['url'], content=b'<svg onload=alert(1)>')
    assert refused.status_code == 415 and _shown(chat, alice) == picture

    user.find(marker='avatar-remove').click()
    await user.should_see(marker='avatar-status', content='Picture removed: people see your initial.')
    assert _shown(chat, alice) is None
    assert 'data-testid="avatar-img"' not in _preview(user)
    await user.should_not_see(marker='avatar-remove')


@pytest.mark.parametrize(('retry_after', 'wait'), [('42', '42 seconds'), ('600', '10 minutes'), (None, 'a minute'),
                                                  ('soon', 'a minute')])
async def test_a_picture_refused_for_coming_too_often_says_how_long_to_wait(user: User, chat: ChatApp,
                                                                           retry_after: str | None, wait: str) -> None:
    make_user(chat.run, 'alice')
    await signed_in(user, 'alice', '/settings')
    await user.should_see(marker='avatar-uploader')
    # what the uploader's "failed" handler sends: the status and the Retry-After header as the browser read them
    user.find(marker='avatar-uploader').trigger('failed', {'status': 429, 'retry_after': retry_after})
    await user.should_see(marker='avatar-problem',
                          content=f'You are changing your profile picture too often. Try again in {wait}.')


async def test_a_friends_picture_shows_in_my_inbox_their_chat_and_my_friends_list(
        user: User, create_user: Callable[[], User], chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob', display_name='Bob B.')
    chat_id = open_chat(chat.run, alice, bob)
    say(chat.run, bob, chat_id, 'hi')
    picture = await _upload_as(user, chat, bob, _photo())

    await signed_in(user, 'alice', '/')
    await eventually(lambda: 'inbox-row' in inbox_html(user), 'the inbox shows the row')
    row = re.search(r'<span class="inbox-avatar inbox-avatar--direct">(.*?)</span>', inbox_html(user))
    assert row is not None and f'src="{avatars.url(picture, 48)}"' in row.group(1)
    assert f'{avatars.url(picture, 96)} 2x' in row.group(1) and 'alt=""' in row.group(1)  # the name follows
    fetched = await user.http_client.get(avatars.url(picture, 48))
    assert fetched.status_code == 200 and fetched.headers['content-type'] == 'image/webp'

    await user.open('/chat/bob')
    await user.should_see(marker='message-input')
    header = [element for element in user.client.elements.values()
              if 'data-testid="chat-title"' in str(getattr(element, 'content', ''))]
    assert len(header) == 1 and f'src="{avatars.url(picture, 48)}"' in header[0].content  # type: ignore[attr-defined]

    await user.open('/friends')
    await user.should_see(marker='friend-bob')
    (img,) = user.find(marker='avatar-img').elements
    assert img.props['src'] == avatars.url(picture, 48) and img.props['alt'] == 'Profile picture of Bob B.'

    bobs = create_user()
    await signed_in(bobs, 'bob', '/')
    await eventually(lambda: any(f'src="{avatars.url(picture, 48)}"' in str(getattr(element, 'content', ''))
                                 for element in bobs.client.elements.values() if 'whoami' in element._markers),
                     'bob sees his own picture in the page header')


async def test_people_without_a_picture_keep_their_initials(user: User, chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob', display_name='Bob Brown')
    make_friends(chat.run, alice, bob)
    await signed_in(user, 'alice', '/friends')
    await user.should_see(marker='friend-bob')
    await user.should_not_see(marker='avatar-img')
    user.find(marker='profile-bob').click()
    await user.should_see(marker='profile-card')
    await user.should_not_see(marker='avatar-img')


async def test_a_groups_members_dialog_shows_each_members_picture_or_initial_and_opens_their_card(
        user: User, chat: ChatApp) -> None:
    alice = make_user(chat.run, 'alice')
    bob, carol = make_user(chat.run, 'bob', display_name='Bob B.'), make_user(chat.run, 'carol')
    group = make_group(chat.run, alice, [bob, carol]).conversation_id  # carol and bob are not friends
    picture = await _upload_as(user, chat, bob, _photo())

    await signed_in(user, 'carol', f'/group/{group}')
    await user.should_see(marker='members-button')
    user.find(marker='members-button').click()
    await user.should_see(marker='member-profile-bob')
    rows = {name: _member(user, name) for name in ('alice', 'bob', 'carol')}
    (img,) = [element for element in rows['bob'].descendants() if 'avatar-img' in element._markers]
    assert img.props['src'] == avatars.url(picture, 48) and img.props['alt'] == 'Profile picture of Bob B.'
    assert f'{avatars.url(picture, 96)} 2x' in img.props['srcset']
    for name, texts in (('alice', ['A', 'alice']), ('carol', ['C', 'carol (you)'])):  # no picture: the initial
        assert not any('avatar-img' in element._markers for element in rows[name].descendants()), name
        assert [element.text for element in rows[name].descendants() if isinstance(element, ui.label)] == texts
    assert rows['bob'].props['aria-label'] == 'Profile of Bob B.'
    assert rows['carol'].props['aria-label'] == 'Your profile'

    user.find(marker='member-profile-bob').click()  # a fellow member's card: carol and bob are not friends
    await user.should_see(marker='profile-card')
    await user.should_see(marker='profile-card-name', content='Bob B.')
    await user.should_see(marker='profile-card-add')
    card_images = [element for element in user.find(marker='profile-card').elements.pop().descendants()
                   if 'avatar-img' in element._markers]
    assert [element.props['src'] for element in card_images] == [avatars.url(picture, 48)]


def _member(tab: User, username: str) -> Element:
    """The clickable avatar and name of ``username``'s row in the open members dialog."""
    (opener,) = tab.find(marker=f'member-profile-{username}').elements
    return opener


async def test_the_sweep_removes_the_files_of_pictures_nobody_shows(user: User, chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    kept = await _upload_as(user, chat, alice, _photo(10))
    dropped = await _upload_as(user, chat, bob, _photo(200))
    await chat.run(profiles.remove_avatar, actor_id=bob.id)
    assert await chat.avatars.sweep(chat.run, grace_seconds=0) == 1
    assert (await user.http_client.get(avatars.url(kept, 96))).status_code == 200
    assert (await user.http_client.get(avatars.url(dropped, 96))).status_code == 404
    assert await chat.avatars.sweep(chat.run, grace_seconds=0) == 0
