"""The profile picture picker in real Chromium: "Choose a picture" opens the file input, the uploader posts the file
to the avatar route, and the preview shows the stored picture, which the browser loads; a picture past the rate limit
says how long to wait, and the next one picked is sent again."""

from __future__ import annotations

import re
import time
from pathlib import Path

from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.harness import AppProcess, BrowserFactory, app_env, css, find, running_apps, signup, wait

TOO_OFTEN = re.compile(r'You are changing your profile picture too often\. Try again in (\d+) seconds?\.')


def test_a_picked_picture_is_uploaded_and_previewed(chat_app: AppProcess, new_browser: BrowserFactory,
                                                    tmp_path: Path) -> None:
    driver = new_browser()
    base = f'http://127.0.0.1:{chat_app.port}'
    signup(driver, base, 'painter', 'correct horse battery staple')
    driver.get(f'{base}/settings')
    pick(driver, tmp_path, 10)

    def loaded(d: object) -> bool:
        return bool(driver.execute_script(
            f'const img = document.querySelector(\'{css("avatar-preview")} img[data-testid="avatar-img"]\');'
            'return img !== null && img.complete && img.naturalWidth === 96;'))

    wait(driver, loaded, 'the preview shows the uploaded picture at 96 pixels')
    wait(driver, lambda d: find(d, 'avatar-status').text == 'Picture saved.', 'the picture is saved')
    find(driver, 'avatar-remove')
    alt = driver.find_element(By.CSS_SELECTOR, css('avatar-preview') + ' img').get_attribute('alt')
    assert alt == 'Your profile picture'


def test_a_picture_past_the_rate_limit_says_how_long_to_wait_and_the_next_pick_is_sent(
        new_browser: BrowserFactory, tmp_path: Path) -> None:
    app = AppProcess(tmp_path / 'app', app_env() | {'CHATAPP_LIMIT_AVATARS': '1/min'})
    with running_apps(app):
        driver = new_browser()
        base = f'http://127.0.0.1:{app.port}'
        signup(driver, base, 'painter', 'correct horse battery staple')
        driver.get(f'{base}/settings')
        pick(driver, tmp_path, 1)
        wait(driver, lambda d: find(d, 'avatar-status').text == 'Picture saved.', 'the first picture is saved')

        pick(driver, tmp_path, 2)
        first = wait(driver, lambda d: TOO_OFTEN.fullmatch(find(d, 'avatar-problem').text), 'the wait is shown')
        assert 50 <= int(first.group(1)) <= 60, first.group(0)
        time.sleep(2)  # the next refusal names a shorter wait: a message told apart from the one already shown
        pick(driver, tmp_path, 3)  # not "rejected" by the uploader for a refused file still taking its one place

        def refused_anew(d: WebDriver) -> re.Match[str] | None:
            shown = TOO_OFTEN.fullmatch(find(d, 'avatar-problem').text)
            return shown if shown is not None and shown.group(1) != first.group(1) else None

        second = wait(driver, refused_anew, 'the next picture is sent and refused again')
        assert int(second.group(1)) < int(first.group(1))


def pick(driver: WebDriver, folder: Path, shade: int) -> None:
    """Pick a picture of its own in the settings card's file input, as a person does with "Choose a picture"."""
    picture = folder / f'picture-{shade}.png'
    Image.new('RGB', (320, 200), (20 * shade, 80, 20)).save(picture)
    find(driver, 'avatar-choose')
    picker = driver.find_element(By.CSS_SELECTOR, f'{css("avatar-uploader")} input[type=file]')
    driver.execute_script('arguments[0].hidden = false', picker)  # chromedriver types only into a shown input
    picker.send_keys(str(picture))
