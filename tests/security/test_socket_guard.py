"""Attacks on the real app's socket, one test per way in: each asserts that nothing was stored or delivered (read in
the database) and that the guard counted the refusal in its log line; the last shows that alice's own page still
works after all of them.

The forged action is alice clicking Accept on carol's friend request (``accept-carol``): without the guard, carol's
socket did it for her (measured on NiceGUI 3.18: carol became alice's friend).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import socketio
from yarl import URL

from bench.flood import flood
from bench.page import html_of, listener
from bench.person import Person
from bench.tab import Browser
from chatapp.schemas import Relation
from tests.factories import PASSWORD
from tests.security.cast import Cast, running_cast
from tests.security.sockets import PageIds, RawSocket, wait_for_line, wait_until

EVENTS_PER_SECOND = 30
BURST = 2 * EVENTS_PER_SECOND
"""The defaults of ``CHATAPP_SOCKET_EVENTS_PER_SECOND`` and its burst."""
FLOOD = 400


@pytest.fixture
def cast(tmp_path: Path) -> Iterator[Cast]:
    with running_cast(tmp_path) as running:
        yield running


async def signed_in(cast: Cast, name: str, path: str = '/friends') -> Person:
    person = Person(cast.app.base_url, name)
    await person.log_in(path, password=PASSWORD)
    return person


async def forged_accept(tab_of_alice: Person) -> dict[str, object]:
    """The ``event`` message alice's browser sends when she clicks Accept on carol's request."""
    element_id, element = await tab_of_alice.tab.wait_for('accept-carol')
    return {'id': element_id, 'client_id': PageIds.of(tab_of_alice.tab).client_id,
            'listener_id': listener(element, 'click'), 'args': [json.dumps({})]}


def session_cookie(browser: Browser) -> str:
    return browser.http.cookie_jar.filter_cookies(URL(browser.base_url))['session'].value


async def test_a_forged_event_on_carols_own_socket_is_refused(cast: Cast) -> None:
    alice, carol = await signed_in(cast, 'alice'), await signed_in(cast, 'carol')
    forged = await forged_accept(alice)
    own = await RawSocket.open(carol.browser, PageIds.of(carol.tab))  # carol's socket, handshaken for her own page
    try:
        await own.emit('event', forged)
        await wait_for_line(cast.app, 'naming a page that did not handshake that socket (1 since')
    finally:
        await own.close()
        await alice.close()
        await carol.close()
    assert cast.relation('alice', 'carol') is Relation.INCOMING  # still a request: nobody accepted it


@pytest.mark.parametrize('implicit', [True, False], ids=['implicit-handshake', 'handshake-event'])
async def test_b_stolen_page_ids_with_carols_cookie_are_refused(cast: Cast, implicit: bool) -> None:
    alice, carol = await signed_in(cast, 'alice'), await signed_in(cast, 'carol')
    forged, stolen = await forged_accept(alice), PageIds.of(alice.tab)
    try:
        if implicit:
            with pytest.raises(socketio.exceptions.ConnectionError):
                await RawSocket.open(carol.browser, stolen)
        else:
            hijack = await RawSocket.open(carol.browser, stolen, implicit=False)
            try:
                assert await hijack.handshake(stolen) is False
                await hijack.emit('event', forged)
                await wait_for_line(cast.app, 'naming a page that did not handshake that socket (1 since')
                assert hijack.updates == 0  # none of alice's page reached carol
            finally:
                await hijack.close()
        await wait_for_line(cast.app, "handshake with another browser's session cookie (1 since")
    finally:
        await alice.close()
        await carol.close()
    assert cast.relation('alice', 'carol') is Relation.INCOMING


async def test_c_stolen_page_ids_without_a_cookie_are_refused(cast: Cast) -> None:
    alice = await signed_in(cast, 'alice')
    stranger = Browser(cast.app.base_url)  # read the ids in a proxy log; has no cookie of this app
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await RawSocket.open(stranger, PageIds.of(alice.tab))
        await wait_for_line(cast.app, 'handshake without a session cookie (1 since')
    finally:
        await stranger.close()
        await alice.close()
    assert cast.relation('alice', 'carol') is Relation.INCOMING


async def test_d_stolen_page_ids_with_a_tampered_cookie_are_refused(cast: Cast) -> None:
    alice, carol = await signed_in(cast, 'alice'), await signed_in(cast, 'carol')
    # carol's signed cookie with its payload swapped for alice's browser id (the cookie is signed, not encrypted)
    alice_payload = session_cookie(alice.browser).split('.')[0]
    tampered = '.'.join([alice_payload, *session_cookie(carol.browser).split('.')[1:]])
    assert json.loads(base64.b64decode(alice_payload + '==')).get('id')  # what the forger sees in the payload
    forger = Browser(cast.app.base_url)
    forger.http.cookie_jar.update_cookies({'session': tampered}, URL(cast.app.base_url))
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await RawSocket.open(forger, PageIds.of(alice.tab))
        await wait_for_line(cast.app, 'handshake with a session cookie we did not sign (or one that expired) (1 since')
    finally:
        await forger.close()
        await alice.close()
        await carol.close()
    assert cast.relation('alice', 'carol') is Relation.INCOMING


MALFORMED: list[tuple[str, object]] = [
    ('event', ['a list']),
    ('event', 'a string'),
    ('event', None),
    ('event', ('two', 'arguments')),
    ('event', {'id': 1, 'listener_id': 'x', 'args': []}),  # no client_id
    ('event', {'client_id': 7, 'id': 1, 'listener_id': 'x', 'args': []}),
    ('ack', {'next_message_id': 'soon'}),
    ('javascript_response', {'result': 1}),
    ('log', {'level': 'critical', 'message': 'x'}),
    ('handshake', ['a list']),
]
"""Messages whose shape is wrong before any page is looked at."""


async def test_e_malformed_messages_give_no_traceback(cast: Cast) -> None:
    alice = await signed_in(cast, 'alice')
    page = PageIds.of(alice.tab)
    own = await RawSocket.open(alice.browser, page)  # a second socket of alice's own page: its messages are hers
    garbage = await RawSocket.open(alice.browser, page)
    try:
        element_id, element = await alice.tab.wait_for('accept-carol')
        event = {'client_id': page.client_id, 'id': element_id, 'listener_id': listener(element, 'click')}
        for name, data in [*MALFORMED,
                           ('event', {**event, 'args': ['{not json']}),
                           ('event', {**event, 'args': ['"\\ud800"']}),  # a lone surrogate: orjson refuses it
                           ('event', {**event, 'args': 'not a list'}),
                           ('event', {**event, 'listener_id': 'no such listener', 'args': ['{}']}),
                           ('event', {**event, 'id': 10**9, 'args': ['{}']})]:
            await own.emit(name, data)
        await garbage.send_packet('2["event",{"client_id":')  # a packet that is not even JSON
        dave_id, dave = await alice.tab.wait_for('accept-dave')
        await own.emit('event', {'client_id': page.client_id, 'id': dave_id, 'listener_id': listener(dave, 'click'),
                                 'args': ['{}']})  # after all that, one good message on the same socket
        await wait_until(lambda: cast.relation('alice', 'dave') is Relation.FRIENDS, 'alice to accept dave')
        await wait_for_line(cast.app, 'a malformed socket message (1 since')
        await wait_for_line(cast.app, 'an element the page does not have (1 since')
        await wait_for_line(cast.app, 'a socket packet that cannot be decoded, and closed its connection (1 since')
    finally:
        await own.close()
        await garbage.close()
        await alice.close()
    output = cast.app.output()
    assert 'Traceback' not in output
    assert 'Task exception was never retrieved' not in output
    assert cast.relation('alice', 'carol') is Relation.INCOMING  # the events on accept-carol were all broken


async def test_f_a_page_log_is_one_escaped_warning_line(cast: Cast) -> None:
    alice = await signed_in(cast, 'alice')
    page = PageIds.of(alice.tab)
    own = await RawSocket.open(alice.browser, page)
    try:
        await own.emit('log', {'client_id': page.client_id, 'level': 'error',
                               'message': 'hello\nERROR forged second line\x1b[31m'})
        for n in range(20):
            await own.emit('log', {'client_id': page.client_id, 'level': 'info', 'message': f'chatter {n}'})
        await wait_for_line(cast.app, "a page's log message over its per-socket budget (1 since")
    finally:
        await own.close()
        await alice.close()
    lines = cast.app.output().splitlines()
    forged = [line for line in lines if 'forged' in line]
    assert forged == [r"browser log (error): 'hello\nERROR forged second line\x1b[31m'"]
    assert sum('browser log (info)' in line for line in lines) < 20  # the rest were over the budget


async def test_g_a_flooding_socket_is_closed_and_its_excess_never_handled(cast: Cast) -> None:
    alice, bob = await signed_in(cast, 'alice', '/chat/bob'), await signed_in(cast, 'bob', '/chat/alice')
    try:
        started = time.perf_counter()
        report = await flood(alice, messages=FLOOD, clicks=0, started=started)
        await wait_until(lambda: alice.tab.drops > 0, 'the server to close the flooding socket')
        await wait_for_line(cast.app, 'a socket that kept sending over its budget, and closed it (1 since')
    finally:
        await alice.close()
        await bob.close()
    assert alice.tab.dropped_at is not None
    closed_after = alice.tab.dropped_at - started
    stored = cast.messages('alice', 'bob')
    handled_at_most = BURST + EVENTS_PER_SECOND * closed_after
    print(f'flood: {report.messages} sent in {report.send_seconds} s, closed after {closed_after:.3f} s, '
          f'{len(stored)} stored (at most {handled_at_most:.0f} allowed)')
    assert 0 < len(stored) <= handled_at_most < FLOOD


async def test_alices_own_socket_still_works_after_all_that(cast: Cast) -> None:
    alice, bob, carol = (await signed_in(cast, 'alice'), await signed_in(cast, 'bob', '/chat/alice'),
                         await signed_in(cast, 'carol'))
    forged, stolen = await forged_accept(alice), PageIds.of(alice.tab)
    stranger, forger = Browser(cast.app.base_url), Browser(cast.app.base_url)
    forger.http.cookie_jar.update_cookies({'session': 'e30=.tampered.signature'}, URL(cast.app.base_url))
    own = await RawSocket.open(carol.browser, PageIds.of(carol.tab))
    try:
        await own.emit('event', forged)
        for browser in (carol.browser, stranger, forger):
            with pytest.raises(socketio.exceptions.ConnectionError):
                await RawSocket.open(browser, stolen)
        await wait_for_line(cast.app, 'naming a page that did not handshake that socket (1 since')

        await alice.tab.click('accept-dave')  # alice's own click on her own page
        await wait_until(lambda: cast.relation('alice', 'dave') is Relation.FRIENDS, 'alice to accept dave')
        await alice.tab.goto('/chat/bob')
        await alice.send('still here after all that')
        await bob.tab.wait_until(lambda page: any('still here after all that' in html_of(element)
                                                  for element in page.elements.values()), what="alice's message")
    finally:
        await own.close()
        for browser in (stranger, forger):
            await browser.close()
        for person in (alice, bob, carol):
            await person.close()
    assert cast.messages('alice', 'bob') == ['still here after all that']
    assert cast.relation('alice', 'carol') is Relation.INCOMING
