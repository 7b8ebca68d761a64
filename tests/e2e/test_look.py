"""The look in real Chromium: every page at a phone's 390 px and a desktop's 1280 px, light and dark, saved as
screenshots for a person to judge (``CHATAPP_LOOK_DIR``, default ``/tmp/look``), with the checks a machine can make:
nothing wider than the screen, the header's controls all on screen, sentence-case buttons, one style of text
field, and a dark page that is dark from its first paint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.harness import find
from tests.e2e.showcase import ANONYMOUS_PAGES, MODES, SIGNED_IN_PAGES, World, browser_for, browsers, open_page, world

WIDTHS = (390, 1280)
HEIGHT = 860
LOOK_DIR = Path(os.environ.get('CHATAPP_LOOK_DIR', '/tmp/look'))
DARK_STOP = 'rgb(49, 46, 129)'
"""The first colour of the dark page's background gradient (theme.css), as the browser computes it."""


@pytest.fixture(scope='module')
def shown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp('look')) as built:
        yield built


@pytest.fixture(scope='module')
def drivers(shown: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, WebDriver]]:
    with browsers(shown, tmp_path_factory.mktemp('browsers')) as both:
        yield both


@pytest.mark.parametrize('page', ANONYMOUS_PAGES + SIGNED_IN_PAGES)
def test_each_page_fits_a_phone_and_a_desktop_in_both_modes(shown: World, drivers: dict[str, WebDriver],
                                                            page: str) -> None:
    driver = drivers[browser_for(page)]
    LOOK_DIR.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    try:
        for width in WIDTHS:
            driver.set_window_size(width, HEIGHT)
            for mode in MODES:
                open_page(driver, shown, page, mode)
                driver.save_screenshot(str(LOOK_DIR / f'{page}-{width}-{mode}.png'))
                problems += [f'{width} px {mode}: {problem}' for problem in layout_problems(driver)]
    finally:
        driver.set_window_size(1280, HEIGHT)
    assert not problems, f'{page}: ' + '; '.join(problems)


@pytest.mark.parametrize(('page', 'button', 'label'), [('login', 'login-submit', 'Log in'),
                                                       ('signup', 'signup-submit', 'Sign up')])
def test_buttons_are_in_sentence_case(shown: World, drivers: dict[str, WebDriver], page: str, button: str,
                                      label: str) -> None:
    driver = drivers['anonymous']
    open_page(driver, shown, page, 'light')
    assert find(driver, button).text == label  # the rendered text: CSS upper-casing would show here
    shouting = driver.execute_script('''return Array.from(document.querySelectorAll('.q-btn'))
        .filter(b => getComputedStyle(b).textTransform !== 'none').map(b => b.outerHTML.slice(0, 120))''')
    assert shouting == []


@pytest.mark.parametrize('page', ['login', 'signup', 'friends'])
def test_every_text_field_has_the_one_style(shown: World, drivers: dict[str, WebDriver], page: str) -> None:
    driver = drivers[browser_for(page)]
    open_page(driver, shown, page, 'light')
    fields = driver.find_elements(By.CSS_SELECTOR, '.q-field')
    assert fields, f'no text field on {page}'
    odd = [field.get_attribute('class') for field in fields
           if not {'q-field--outlined', 'q-field--dense'} <= set((field.get_attribute('class') or '').split())]
    assert odd == []


RECORDER = '''
window.__paints = [];
(function record() {
  if (document.body) window.__paints.push(getComputedStyle(document.body).backgroundImage);
  if (window.__paints.length < 600) requestAnimationFrame(record);
})();
'''
"""Injected before any of the page's own scripts: the body's background at every frame the browser renders, from
the first one on (a requestAnimationFrame callback runs right before each paint)."""


@pytest.mark.parametrize('mode', MODES)
def test_a_page_shows_the_chosen_mode_from_its_first_paint(shown: World, drivers: dict[str, WebDriver],
                                                          mode: str) -> None:
    driver = drivers['anonymous']
    open_page(driver, shown, 'login', mode)  # the browser's stored choice is now ``mode``
    recorder = driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': RECORDER})
    try:
        for page in ANONYMOUS_PAGES:
            driver.get(shown.url(page))
            find(driver, f'{page}-username')
            paints: list[str] = driver.execute_script('return window.__paints')
            assert paints, 'no frame was recorded'
            wrong = [index for index, paint in enumerate(paints) if (DARK_STOP in paint) != (mode == 'dark')]
            assert wrong == [], f'{page}: frames {wrong} of {len(paints)} were not {mode}'
    finally:
        driver.execute_cdp_cmd('Page.removeScriptToEvaluateOnNewDocument', {'identifier': recorder['identifier']})


LAYOUT = '''
const problems = [];
const root = document.documentElement;
if (root.scrollWidth > root.clientWidth + 1) problems.push(`the page is ${root.scrollWidth} px wide`);
const header = document.querySelector('header');
if (header) {
  for (const control of header.querySelectorAll('a, button')) {
    const box = control.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // hidden on purpose (a label on a phone)
    if (box.left < 0 || box.right > root.clientWidth + 1)
      problems.push(`${control.getAttribute('aria-label') || control.innerText} is off screen`);
    if (!(control.getAttribute('aria-label') || control.innerText.trim()))
      problems.push(`a header control has no name: ${control.outerHTML.slice(0, 80)}`);
  }
}
return problems;
'''


def layout_problems(driver: WebDriver) -> list[str]:
    return list(driver.execute_script(LAYOUT))
