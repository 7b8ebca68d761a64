"""The socket endpoint accepts only our own origin; pages never show a stack trace."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from chatapp.app import ChatApp

SOCKET = '/_nicegui_ws/socket.io/?EIO=4&transport=polling'


@pytest.mark.parametrize(('origin', 'accepted'), [
    ('http://test', True),
    ('http://evil.example', False),
    ('https://test', False),
    ('null', False),
])
async def test_socket_accepts_only_the_apps_own_origin(user: User, chat: ChatApp, origin: str, accepted: bool,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    response = await user.http_client.get(SOCKET, headers={'Origin': origin})
    assert (response.status_code == 200) is accepted, response.text
    caplog.clear()  # engine.io logs its first refusal as an ERROR: expected here


async def test_unknown_page_is_a_clean_404(user: User, chat: ChatApp) -> None:
    response = await user.http_client.get('/no/such/page')
    assert response.status_code == 404
    assert 'Traceback' not in response.text


async def test_pages_forbid_framing_and_sniffing(user: User, chat: ChatApp) -> None:
    response = await user.http_client.get('/login')
    assert response.status_code == 200
    assert response.headers['X-Frame-Options'] == 'DENY'
    assert response.headers['Content-Security-Policy'] == "frame-ancestors 'none'"
    assert response.headers['X-Content-Type-Options'] == 'nosniff'
    assert response.headers['Referrer-Policy'] == 'same-origin'
