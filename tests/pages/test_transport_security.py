"""The socket endpoint accepts only our own origin; pages never show a stack trace."""

from __future__ import annotations

import pytest
from nicegui import Client, ui
from nicegui.testing import User

from chatapp.app import ChatApp
from pages.errors import shows_errors

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
    """NiceGUI answers unknown paths itself (``pages.errors`` replaces only its page for exceptions): a 404 page
    saying so, with nothing of the server's inside."""
    response = await user.http_client.get('/no/such/<b>page</b>')
    assert response.status_code == 404
    assert "This page doesn't exist." in response.text
    assert '<b>page</b>' not in response.text  # the path is not echoed back as markup
    _no_traceback(response.text)


async def test_a_page_that_raises_shows_the_apps_error_page(user: User, chat: ChatApp,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    @ui.page('/test-broken-page')
    def broken_page() -> None:
        ui.label('half of a page')
        raise RuntimeError('internal detail that must stay on the server')

    response = await user.http_client.get('/test-broken-page')
    assert response.status_code == 500
    assert 'Something went wrong on our side.' in response.text  # pages.errors' page, not NiceGUI's
    assert 'internal detail' not in response.text
    assert 'RuntimeError' not in response.text
    assert 'half of a page' not in response.text
    _no_traceback(response.text)
    assert [record.getMessage() for record in caplog.records if record.name == 'pages.errors'] == \
        ["page failed: RuntimeError('internal detail that must stay on the server')"]
    caplog.clear()  # logged as an ERROR, as it should be: expected here


async def test_a_page_that_fails_after_connecting_shows_the_error_card(user: User, chat: ChatApp,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    @ui.page('/test-late-failure')
    @shows_errors
    async def late_failure(client: Client) -> None:
        ui.label('half of a page')
        await client.connected()
        raise RuntimeError('internal detail that must stay on the server')

    await user.open('/test-late-failure')
    await user.should_see('Something went wrong on our side.')
    await user.should_not_see('half of a page')
    await user.should_not_see('internal detail', retries=1)
    assert [record.getMessage() for record in caplog.records if record.name == 'pages.errors'] == \
        ["page failed: RuntimeError('internal detail that must stay on the server')"]
    caplog.clear()  # logged as an ERROR, as it should be: expected here


async def test_pages_forbid_framing_and_sniffing(user: User, chat: ChatApp) -> None:
    response = await user.http_client.get('/login')
    assert response.status_code == 200
    assert response.headers['X-Frame-Options'] == 'DENY'
    assert response.headers['Content-Security-Policy'] == "frame-ancestors 'none'"
    assert response.headers['X-Content-Type-Options'] == 'nosniff'
    assert response.headers['Referrer-Policy'] == 'same-origin'


def _no_traceback(body: str) -> None:
    """No Python traceback, raw or inside the page's JSON (where quotes are escaped)."""
    for mark in ('Traceback', 'File "', 'File \\"'):
        assert mark not in body
