"""The search page: hits link to their conversation at the message, HTML in a message shows as text, bad input is
explained in the page, and "More results" adds the next page."""

from __future__ import annotations

from nicegui.elements.html import Html
from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.services import search
from tests.factories import make_user, open_chat, say
from tests.pages.helpers import eventually, signed_in


def hits_html(user: User) -> str:
    (column,) = user.find(marker='message-search-results').elements
    return ''.join(child.content for child in column.default_slot.children if isinstance(child, Html))


async def test_search_links_to_the_message_and_escapes_it(user: User, chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    conversation = open_chat(chat.run, alice, bob)
    say(chat.run, bob, conversation, 'first message')
    say(chat.run, bob, conversation, 'picnic <img src=x onerror=alert(1)> at noon')
    await signed_in(user, 'alice', '/search')
    await user.should_see(marker='message-search-input')

    user.find(marker='message-search-input').type('picnic').trigger('keydown.enter')
    await eventually(lambda: 'message-search-hit' in hits_html(user), 'a hit')

    markup = hits_html(user)
    assert 'href="/chat/bob?at=2"' in markup
    assert '<mark>picnic</mark> &lt;img src=x onerror=alert(1)&gt; at noon' in markup
    assert '<img' not in markup
    await user.should_see('1 message shown, best first.')


async def test_bad_input_is_explained_and_more_results_page_on(user: User, chat: ChatApp) -> None:
    alice, bob = make_user(chat.run, 'alice'), make_user(chat.run, 'bob')
    conversation = open_chat(chat.run, alice, bob)
    for n in range(search.PAGE_SIZE + 3):
        say(chat.run, bob, conversation, f'coffee {n}')
    await signed_in(user, 'alice', '/search')
    await user.should_see(marker='message-search-input')

    user.find(marker='message-search-input').type('🎉').trigger('keydown.enter')
    await user.should_see('Search for words or numbers: punctuation and emoji alone cannot be searched for.')

    user.find(marker='message-search-input').clear().type('coffee')
    user.find(marker='message-search-submit').click()
    await user.should_see(f'{search.PAGE_SIZE} messages shown, best first.')
    assert hits_html(user).count('message-search-hit') == search.PAGE_SIZE
    user.find(marker='message-search-more').click()
    await user.should_see(f'{search.PAGE_SIZE + 3} messages shown, best first.')
    assert hits_html(user).count('message-search-hit') == search.PAGE_SIZE + 3


async def test_the_inbox_leads_to_search(user: User, chat: ChatApp) -> None:
    make_user(chat.run, 'alice')
    await signed_in(user, 'alice', '/')
    user.find(marker='search-messages').click()
    await user.should_see(marker='message-search-input')
