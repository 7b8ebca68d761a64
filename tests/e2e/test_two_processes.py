"""Two app processes behind one Redis and one database, as in a scaled deployment: a browser on each, and every
update crosses from one process to the other live: friend requests, direct and group messages, typing, presence,
a new display name."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.cluster import Cluster, cluster
from tests.e2e.harness import (
    BrowserFactory,
    accept,
    click,
    css,
    find,
    inbox_row,
    login,
    open_chat,
    open_dashboard,
    search_and_add,
    send,
    text_field,
    type_into,
    wait,
    wait_for_message,
    wait_for_messages,
    wait_for_text,
)
from tests.factories import PASSWORD, make_friends, make_group, make_user

PRESENCE_WAIT = 30
"""Seconds to wait for "last seen": the grace after the last page closes (5 s by default) comes first."""


@pytest.fixture
def two_apps(tmp_path: Path, redis_url: str, redis_prefix: str) -> Iterator[Cluster]:
    with cluster(tmp_path, redis_url, redis_prefix) as apps:
        yield apps


def test_friend_request_and_messages_cross_processes(two_apps: Cluster, new_browser: BrowserFactory) -> None:
    a, b = two_apps.apps
    make_user(two_apps.services, 'alice', display_name='Alice')
    make_user(two_apps.services, 'bob', display_name='Bob')
    alice, bob = new_browser(), new_browser()
    login(alice, a.base_url, 'alice', PASSWORD)
    login(bob, b.base_url, 'bob', PASSWORD)
    open_dashboard(alice, a.base_url)
    open_dashboard(bob, b.base_url)

    search_and_add(bob, 'alice')  # on B
    find(alice, 'accept-bob')  # shows up on A
    accept(alice, 'bob')
    find(bob, 'chat-alice')  # and the acceptance on B

    open_chat(alice, 'bob')
    open_chat(bob, 'alice')
    hello = f'hello from A {uuid.uuid4().hex[:8]}'
    send(alice, hello)
    wait_for_message(bob, hello)
    reply = f'hello from B {uuid.uuid4().hex[:8]}'
    send(bob, reply)
    wait_for_message(alice, reply)


def test_a_group_with_members_on_both_processes_gets_typing_and_every_message(two_apps: Cluster,
                                                                               new_browser: BrowserFactory) -> None:
    a, b = two_apps.apps
    people = [make_user(two_apps.services, name, display_name=name.title()) for name in ('alice', 'bob', 'carol')]
    group = make_group(two_apps.services, people[0], people[1:], title='Across')
    path = f'/group/{group.conversation_id}'
    alice, bob, carol = new_browser(), new_browser(), new_browser()
    for driver, app, name in ((alice, a, 'alice'), (bob, b, 'bob'), (carol, b, 'carol')):
        login(driver, app.base_url, name, PASSWORD)
        driver.get(f'{app.base_url}{path}')
        find(driver, 'message-input')

    # Typing first: a send less than 3 s before would hold the signal back (one per typist every 3 s).
    text_field(alice, 'message-input').send_keys('half a thought')  # typing on A, not sent
    for driver in (bob, carol):
        wait_for_text(driver, 'typing', 'Alice is typing…')  # under the conversation on B
        wait(driver, lambda d: 'Alice is typing…' in inbox_row(d, group.conversation_id).text,
             'the inbox row does not say alice types')  # and in the group's inbox row beside it
    token = uuid.uuid4().hex[:6]
    text_field(alice, 'message-input').send_keys(f' and the rest · {token}\n')
    texts = [f'half a thought and the rest · {token}']
    for driver in (bob, carol):
        wait_for_messages(driver, texts)
        wait_for_typing_gone(driver)  # her message ends her typing

    for writer, name in ((bob, 'bob on B'), (carol, 'carol on B'), (alice, 'alice on A')):
        texts.append(f'{name} · {token}')
        send(writer, texts[-1])
        for reader in (alice, bob, carol):  # each arrives everywhere before the next is written
            wait_for_messages(reader, texts)


def test_presence_crosses_processes_online_then_offline_when_the_page_closes(two_apps: Cluster,
                                                                             new_browser: BrowserFactory) -> None:
    a, b = two_apps.apps
    make_friends(two_apps.services, make_user(two_apps.services, 'alice', display_name='Alice'),
                 make_user(two_apps.services, 'bob', display_name='Bob'))
    bob = new_browser()
    login(bob, b.base_url, 'bob', PASSWORD)
    bob.get(f'{b.base_url}/chat/alice')
    status = find(bob, 'presence')
    assert 'online' not in status.text and 'last seen' not in status.text, status.text  # alice never came

    alice = new_browser()
    login(alice, a.base_url, 'alice', PASSWORD)  # her one page, on A
    find(alice, 'inbox')
    wait_for_text(bob, 'presence', 'online')  # seen on B, live

    alice.get('about:blank')  # the page closes
    wait_for_text(bob, 'presence', 'last seen', timeout=PRESENCE_WAIT)
    assert 'online' not in find(bob, 'presence').text


def wait_for_typing_gone(driver: WebDriver) -> None:
    """Until no "typing…" line shows a text (the line may stay, empty, once it has been made)."""
    wait(driver, lambda d: not any(e.text.strip() for e in d.find_elements(By.CSS_SELECTOR, css('typing'))),
         f'"typing…" is still shown on {driver.current_url}')


def test_an_edit_a_reaction_and_a_delete_cross_processes(two_apps: Cluster, new_browser: BrowserFactory) -> None:
    a, b = two_apps.apps
    make_friends(two_apps.services, make_user(two_apps.services, 'alice'), make_user(two_apps.services, 'bob'))
    alice, bob = new_browser(), new_browser()
    for driver, app, name, peer in ((alice, a, 'alice', 'bob'), (bob, b, 'bob', 'alice')):
        login(driver, app.base_url, name, PASSWORD)
        driver.get(f'{app.base_url}/chat/{peer}')
        find(driver, 'message-input')
    send(alice, 'meet at noon')
    wait_for_message(bob, 'meet at noon')

    open_actions = '''
      const bubble = [...document.querySelectorAll('[data-testid="message-list"] [data-testid="message"]')]
        .find(b => b.textContent.includes(arguments[0]));
      bubble.querySelector('.more').click();'''
    bob.execute_script(open_actions, 'meet at noon')  # on B
    find(bob, 'react-choice').click()
    wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, f'{css("message-list")} {css("reaction")}'),
         'the reaction made on B did not reach A')

    alice.execute_script(open_actions, 'meet at noon')  # on A
    find(alice, 'edit').click()
    box = text_field(alice, 'edit-input')
    box.clear()
    box.send_keys('meet at one')
    find(alice, 'edit-save').click()
    wait_for_messages(bob, ['meet at one'])

    alice.execute_script(open_actions, 'meet at one')
    find(alice, 'delete').click()
    find(alice, 'delete-confirm').click()
    wait_for_messages(bob, ['This message was deleted'])


def test_a_new_display_name_crosses_processes(two_apps: Cluster, new_browser: BrowserFactory) -> None:
    a, b = two_apps.apps
    # bob without a display name: his name field starts empty (the browser's "clear" does not reach Vue's model)
    make_friends(two_apps.services, make_user(two_apps.services, 'alice'), make_user(two_apps.services, 'bob'))
    alice, bob = new_browser(), new_browser()
    login(alice, a.base_url, 'alice', PASSWORD)
    alice.get(f'{a.base_url}/chat/bob')  # on A
    wait_for_text(alice, 'chat-title', 'bob')
    login(bob, b.base_url, 'bob', PASSWORD)
    bob.get(f'{b.base_url}/settings')  # on B
    type_into(bob, 'profile-name', 'Bobby B.')
    click(bob, 'profile-save')
    wait_for_text(bob, 'profile-saved', 'Profile saved.')
    wait_for_text(alice, 'chat-title', 'Bobby B.')  # the header on A, without a reload
