"""The socket guard's parts alone: the budget's arithmetic, the shapes of messages, the tamed page log, the session
cookie reader, the rate-limited refusal lines and installing twice. The attacks on the real app are in
``test_socket_guard``."""

from __future__ import annotations

import json
import logging
from base64 import b64encode
from pathlib import Path

import itsdangerous
import pytest
from nicegui import core
from nicegui import nicegui as nicegui_server

from chatapp.security.socket_budget import SocketBudget, Verdict
from chatapp.security.socket_guard import ORIGINAL, install_socket_guard
from chatapp.security.socket_messages import LOG_CHARS, tamed_log, well_formed
from chatapp.security.socket_refusals import Refusals
from chatapp.security.socket_session import SessionReader
from tests.conftest import make_settings

SECRET = 'x' * 40


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_budget_lets_a_burst_through_then_holds_back_then_closes_a_sustained_flood() -> None:
    clock = Clock()
    budget = SocketBudget(rate=30, burst=60, close_after=120, clock=clock)
    assert [budget.charge('s') for _ in range(60)] == [Verdict.PASS] * 60
    assert [budget.charge('s') for _ in range(119)] == [Verdict.DROP] * 119
    assert budget.charge('s') is Verdict.CLOSE
    assert budget.charge('other') is Verdict.PASS  # one bucket per socket


def test_budget_refills_at_its_rate_and_forgives_after_a_pause() -> None:
    clock = Clock()
    budget = SocketBudget(rate=30, burst=60, close_after=120, clock=clock)
    for _ in range(60 + 100):
        budget.charge('s')
    clock.now += 0.1  # three tokens
    assert [budget.charge('s') for _ in range(4)] == [Verdict.PASS] * 3 + [Verdict.DROP]
    clock.now += 2.0  # full again: the earlier excess no longer counts towards closing
    assert [budget.charge('s') for _ in range(60 + 119)] == [Verdict.PASS] * 60 + [Verdict.DROP] * 119


def test_a_person_typing_and_sending_never_meets_the_budget() -> None:
    clock = Clock()
    budget = SocketBudget(rate=30, burst=60, close_after=120, clock=clock)
    for _ in range(600):  # 20 events a second for 30 s: far beyond any person, yet under the rate
        clock.now += 0.05
        assert budget.charge('s') is Verdict.PASS


EVENT = {'client_id': 'c', 'id': 3, 'listener_id': 'l', 'args': ['{}', None]}


@pytest.mark.parametrize(('name', 'msg', 'ok'), [
    ('event', EVENT, True),
    ('event', {**EVENT, 'args': []}, True),
    ('event', ['a list'], False),
    ('event', 'a string', False),
    ('event', None, False),
    ('event', {k: v for k, v in EVENT.items() if k != 'client_id'}, False),
    ('event', {**EVENT, 'client_id': 1}, False),
    ('event', {**EVENT, 'id': '3'}, False),
    ('event', {**EVENT, 'id': True}, False),
    ('event', {**EVENT, 'args': '{}'}, False),
    ('event', {**EVENT, 'args': [{}]}, False),
    ('ack', {'client_id': 'c', 'next_message_id': 5}, True),
    ('ack', {'client_id': 'c', 'next_message_id': 'soon'}, False),
    ('ack', {'client_id': 'c', 'next_message_id': -1}, False),
    ('javascript_response', {'client_id': 'c', 'request_id': 'r', 'result': [1]}, True),
    ('javascript_response', {'client_id': 'c'}, False),
    ('log', {'client_id': 'c', 'level': 'error', 'message': 'm'}, True),
    ('log', {'client_id': 'c', 'level': 'critical', 'message': 'm'}, False),
    ('log', {'client_id': 'c', 'level': 'info', 'message': ['m']}, False),
    ('handshake', {'client_id': 'c', 'tab_id': 't', 'document_id': 'd', 'next_message_id': '12'}, True),
    ('handshake', {'client_id': 'c', 'tab_id': 't', 'document_id': 'd', 'old_tab_id': None}, True),
    ('handshake', {'client_id': 'c', 'tab_id': 't', 'document_id': 'd', 'next_message_id': '1e3'}, False),
    ('handshake', {'client_id': 'c', 'document_id': 'd'}, False),
])
def test_message_shapes(name: str, msg: object, ok: bool) -> None:
    assert well_formed(name, msg) is ok


def test_a_page_log_is_at_most_a_warning_on_one_line_and_cut() -> None:
    text = 'a\nERROR forged\r\u2028\x1b[2J' + 'x' * 500
    tamed = tamed_log({'client_id': 'c', 'level': 'error', 'message': text})
    assert tamed['level'] == 'warning'
    assert tamed['client_id'] == 'c'
    assert tamed['message'].isprintable()  # no newline, no escape sequence
    assert tamed['message'].startswith(r"browser log (error): 'a\nERROR forged\r\u2028\x1b[2J")
    assert tamed['message'].endswith(f"xxx' (+{len(text) - LOG_CHARS} characters)")


def starlette_cookie(session: object, secret: str = SECRET) -> str:
    """A session cookie as Starlette's ``SessionMiddleware`` writes it."""
    data = b64encode(json.dumps(session).encode())
    return itsdangerous.TimestampSigner(secret).sign(data).decode()


def test_session_reader_reads_the_browser_id_of_a_cookie_we_signed() -> None:
    reader = SessionReader(SECRET)
    cookie = starlette_cookie({'id': 'browser-1'})
    assert reader.cookie({'HTTP_COOKIE': f'theme=dark; session={cookie}'}) == cookie
    assert reader.browser(cookie) == 'browser-1'


@pytest.mark.parametrize('cookie', [
    starlette_cookie({'id': 'browser-1'}, secret='y' * 40),  # signed with another secret
    starlette_cookie({'id': 'browser-2'}).replace(starlette_cookie({'id': 'browser-2'}).split('.')[0],
                                                  b64encode(b'{"id": "browser-1"}').decode()),  # payload swapped
    starlette_cookie({'no': 'id'}),
    starlette_cookie(['a list']),
    'not a cookie at all',
], ids=['another-secret', 'payload-swapped', 'no-browser-id', 'not-a-dict', 'garbage'])
def test_session_reader_refuses_cookies_we_did_not_sign(cookie: str) -> None:
    assert SessionReader(SECRET).browser(cookie) is None


def test_refusals_are_counted_each_time_and_logged_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    refusals = Refusals(clock=clock, interval=60)
    with caplog.at_level(logging.WARNING, logger='chatapp.security.socket_refusals'):
        for _ in range(1000):
            refusals.refuse('foreign-message')
        refusals.refuse('malformed')
        clock.now += 61
        refusals.refuse('foreign-message')
    assert refusals.counts == {'foreign-message': 1001, 'malformed': 1}
    assert [r.levelname for r in caplog.records] == ['WARNING'] * 3
    assert [r.getMessage().split(' (')[1] for r in caplog.records] == [
        '1 since the last report, 1 in all)', '1 since the last report, 1 in all)',
        '1000 since the last report, 1001 in all)']


def test_installing_again_wraps_nicegui_s_own_handlers_not_the_last_wrappers(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'chatapp.db'}")
    first, second = install_socket_guard(settings), install_socket_guard(settings)
    handlers = core.sio.handlers['/']
    assert getattr(handlers['event'], ORIGINAL) is nicegui_server._on_event
    assert getattr(handlers['connect'], ORIGINAL) is nicegui_server._on_connect
    assert getattr(core.sio.eio.handlers['message'], ORIGINAL) == core.sio._handle_eio_message
    assert core.app.state.socket_guard is second is not first
