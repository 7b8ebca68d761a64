"""Accessibility in real Chromium: axe-core finds no violation on any page in light or dark mode, and the keyboard
reaches every control of the login page and of the signed-in header, each with a visible focus ring.

axe-core checks what it can decide from the rendered page (names, roles, landmarks, headings, ``lang``, colour
contrast where the background is solid). Contrast over the translucent glass it reports as "incomplete", not as a
violation; the screenshots of ``test_look`` are where a person judges those.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.showcase import ANONYMOUS_PAGES, MODES, SIGNED_IN_PAGES, World, browser_for, browsers, open_page, world


@pytest.fixture(scope='module')
def shown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp('a11y')) as built:
        yield built


@pytest.fixture(scope='module')
def drivers(shown: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, WebDriver]]:
    with browsers(shown, tmp_path_factory.mktemp('browsers')) as both:
        yield both


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('page', ANONYMOUS_PAGES + SIGNED_IN_PAGES)
def test_axe_finds_no_violation(shown: World, drivers: dict[str, WebDriver], page: str, mode: str) -> None:
    driver = drivers[browser_for(page)]
    open_page(driver, shown, page, mode)
    violations = axe_violations(driver)
    assert not violations, f'{page} in {mode} mode ({driver.current_url}):\n{describe(violations)}'


def test_the_login_page_works_from_the_keyboard_with_a_visible_focus_ring(shown: World,
                                                                          drivers: dict[str, WebDriver]) -> None:
    driver = drivers['anonymous']
    open_page(driver, shown, 'login', 'light')
    stops = tab_through(driver)
    names = [stop['name'] for stop in stops]
    for wanted in ('chatapp', 'dark-mode', 'login-username', 'login-password', 'login-password-show', 'login-submit',
                   'to-signup'):
        assert wanted in names, f'Tab never reaches {wanted!r}; it reaches {names}'
    assert not [stop for stop in stops if not stop['ring']], f'no visible focus ring on {stops}'


def test_the_header_navigation_works_from_the_keyboard(shown: World, drivers: dict[str, WebDriver]) -> None:
    driver = drivers['alice']
    open_page(driver, shown, 'friends', 'dark')
    stops = tab_through(driver)
    names = [stop['name'] for stop in stops]
    for wanted in ('nav-chats', 'nav-friends', 'nav-settings', 'dark-mode', 'logout'):
        assert wanted in names, f'Tab never reaches {wanted!r}; it reaches {names}'
    assert not [stop for stop in stops if not stop['ring']], f'no visible focus ring on {stops}'
    current = driver.find_elements(By.CSS_SELECTOR, 'nav [aria-current="page"]')
    assert [link.get_attribute('aria-label') for link in current] == ['Friends']


def axe_violations(driver: WebDriver) -> list[dict[str, Any]]:
    """What axe-core finds. ``axe-selenium-python`` (the newest that runs on Python 3.11) carries axe-core 3.1;
    ``CHATAPP_TEST_AXE_SCRIPT`` names another ``axe.min.js`` (npm's axe-core 4.x, say) to check with newer rules."""
    script = os.environ.get('CHATAPP_TEST_AXE_SCRIPT')
    axe = Axe(driver, script_url=script) if script else Axe(driver)
    axe.inject()
    results = axe.run(options="{resultTypes: ['violations']}")
    return list(results['violations'])


def describe(violations: list[dict[str, Any]]) -> str:
    """Each rule with its elements: enough to find the element and see why, without opening the page."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation['nodes']:
            summary = ' '.join(node.get('failureSummary', '').split())
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}\n      {summary[:300]}")
    return '\n'.join(lines)


FOCUS_STATE = '''
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const field = el.closest('.q-field');
    return {
        name: el.getAttribute('data-testid') || el.getAttribute('aria-label') || el.innerText.trim(),
        tag: el.tagName,
        ring: outline || (field !== null && field.classList.contains('q-field--focused')),
    };
'''


def tab_through(driver: WebDriver, limit: int = 60) -> list[dict[str, Any]]:
    """Press Tab until focus comes back round to where it started (past the end of the page, the browser's own
    stop counts as the body and is skipped); what each stop is and whether it shows a ring (an outline, or a text
    field's focused border)."""
    stops: list[dict[str, Any]] = []
    for _ in range(limit):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        stop = driver.execute_script(FOCUS_STATE)
        if stop['tag'] == 'BODY':
            continue
        if stops and stop == stops[0]:
            return stops
        stops.append(stop)
    raise AssertionError(f'focus did not come round in {limit} presses of Tab: {stops}')
