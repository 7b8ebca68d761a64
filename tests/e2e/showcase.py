"""A small world to look at every page in real Chromium: three friends, a direct chat and a group with a few
messages, the app serving them, and a way to open any page in light or dark mode once it has settled.

Used by the accessibility checks (axe-core) and the screenshots of the look; the data is made through the real
services, the pages are reached as a person reaches them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.services import conversations, groups, message_changes
from tests.conftest import make_settings
from tests.e2e.harness import AppProcess, app_env, css, find, login, random_secret, running_apps, start_chrome, wait
from tests.factories import PASSWORD, make_friends, make_user

ANONYMOUS_PAGES = ('login', 'signup')
SIGNED_IN_PAGES = ('inbox', 'chat', 'group', 'friends', 'settings')
MODES = ('light', 'dark')
READY = {'login': 'login-username', 'signup': 'signup-username', 'chat': 'message-input', 'group': 'message-input',
         'friends': 'search-input'}
"""A handle each page shows once it is built; the others are waited for by their header and by quiet."""
SETTLE_MS = 400
"""A page has settled when its document has not changed for this long."""


@dataclass(frozen=True)
class World:
    app: AppProcess
    group_id: int

    def url(self, page: str) -> str:
        paths = {'login': '/login', 'signup': '/signup', 'inbox': '/', 'chat': '/chat/bob',
                 'group': f'/group/{self.group_id}', 'friends': '/friends', 'settings': '/settings'}
        return self.app.base_url + paths[page]


@contextmanager
def world(root: Path) -> Iterator[World]:
    """alice, bob and carol; alice is friends with both; a direct chat alice-bob and the group "Weekend trip" of the
    three, each with messages (consecutive ones from one sender, and one alice has not read); in the group a reply,
    an edited message with reactions, a mention and a link."""
    database_url = f"sqlite:///{root / 'server' / 'chatapp.db'}"
    (root / 'server').mkdir(parents=True)
    services = make_runner(make_settings(root / 'services', database_url), MemoryBroker())
    try:
        alice, bob, carol = (make_user(services, name, display_name=name.title()) for name in ('alice', 'bob', 'carol'))
        make_friends(services, alice, bob)
        make_friends(services, alice, carol)
        direct, _ = services.run_sync(conversations.open_direct, actor_id=alice.id, peer_username='bob')
        group, _ = services.run_sync(groups.create_group, actor_id=alice.id, title='Weekend trip',
                                     member_ids=[bob.id, carol.id])
        sent = {}
        for conversation_id, sender, body, reply in (
                (direct.conversation_id, alice, 'Hi Bob! Are you free on Saturday?', None),
                (direct.conversation_id, bob, 'Hi Alice!', None),
                (direct.conversation_id, bob, 'Yes, all day. What do you have in mind?', None),
                (group.conversation_id, alice, 'Where shall we go this weekend?', None),
                (group.conversation_id, carol, 'The lake, if the weather holds.', None),
                (group.conversation_id, bob, 'I can drive.', 'The lake, if the weather holds.'),
                (group.conversation_id, alice, '@carol the forecast: https://example.org/lake', None)):
            reply_to = sent[reply].seq if reply else None
            sent[body], _ = services.run_sync(conversations.send_message, actor_id=sender.id,
                                              conversation_id=conversation_id, body=body, reply_to=reply_to)
        drive = sent['I can drive.']
        services.run_sync(message_changes.edit_message, actor_id=bob.id, conversation_id=group.conversation_id,
                          seq=drive.seq, body='I can drive, four seats.')
        for person, emoji in ((carol, '👍'), (alice, '👍'), (alice, '❤️')):
            services.run_sync(message_changes.toggle_reaction, actor_id=person.id,
                              conversation_id=group.conversation_id, seq=drive.seq, emoji=emoji)
        app = AppProcess(root / 'server', app_env(database_url=database_url, secret=random_secret()))
        with running_apps(app):
            yield World(app, group.conversation_id)
    finally:
        services.shutdown()
        services.engine.dispose()


@contextmanager
def browsers(shown: World, root: Path) -> Iterator[dict[str, WebDriver]]:
    """A browser nobody signed in to (``anonymous``) and alice's (``alice``), at the harness's 1280 px."""
    anonymous, alice = start_chrome(root / 'anonymous'), start_chrome(root / 'alice')
    try:
        login(alice, shown.app.base_url, 'alice', PASSWORD)
        yield {'anonymous': anonymous, 'alice': alice}
    finally:
        anonymous.quit()
        alice.quit()


def browser_for(page: str) -> str:
    return 'anonymous' if page in ANONYMOUS_PAGES else 'alice'


def open_page(driver: WebDriver, world: World, page: str, mode: str) -> None:
    """Open ``page`` in ``mode`` and wait until it has settled. The mode is the browser's stored choice: if it
    differs, the header's toggle flips it and the page is loaded again, so what is checked is a fresh page."""
    driver.get(world.url(page))
    _wait_built(driver, page)
    if is_dark(driver) != (mode == 'dark'):
        find(driver, 'dark-mode').click()
        wait(driver, lambda d: is_dark(d) == (mode == 'dark'), f'{page} did not turn {mode}')
        driver.get(world.url(page))
        _wait_built(driver, page)
    settle(driver)


def is_dark(driver: WebDriver) -> bool:
    return bool(driver.execute_script('return document.body.classList.contains("body--dark")'))


def settle(driver: WebDriver, timeout: float = 10) -> None:
    """Wait until the document has not changed for ``SETTLE_MS`` (content that arrives after the socket connected,
    animations of Quasar's fields)."""
    script = '''
        const [quiet, done] = [arguments[0], arguments[arguments.length - 1]];
        let timer = setTimeout(finish, quiet);
        const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(finish, quiet); });
        observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
        function finish() { observer.disconnect(); done(true); }
    '''
    driver.set_script_timeout(timeout)
    with suppress(TimeoutException):  # a page that never stops changing (a clock, a spinner) is checked as it is
        driver.execute_async_script(script, SETTLE_MS)


def _wait_built(driver: WebDriver, page: str) -> None:
    marker = READY.get(page)
    if marker is not None:
        find(driver, marker)
    else:
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f'header, {css("dark-mode")}'),
             f'{page} shows no header on {driver.current_url}')
