"""The profile picture picker in real Chromium: "Choose a picture" opens the file input, the uploader posts the file
to the avatar route, and the preview shows the stored picture, which the browser loads."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from selenium.webdriver.common.by import By

from tests.e2e.harness import AppProcess, BrowserFactory, css, find, signup, wait


def test_a_picked_picture_is_uploaded_and_previewed(chat_app: AppProcess, new_browser: BrowserFactory,
                                                    tmp_path: Path) -> None:
    picture = tmp_path / 'me.png'
    Image.new('RGB', (320, 200), (200, 80, 20)).save(picture)
    driver = new_browser()
    base = f'http://127.0.0.1:{chat_app.port}'
    signup(driver, base, 'painter', 'correct horse battery staple')
    driver.get(f'{base}/settings')
    find(driver, 'avatar-choose')
    picker = driver.find_element(By.CSS_SELECTOR, f'{css("avatar-uploader")} input[type=file][hidden]')
    driver.execute_script('arguments[0].hidden = false', picker)  # chromedriver types only into a shown input
    picker.send_keys(str(picture))

    def loaded(d: object) -> bool:
        return bool(driver.execute_script(
            f'const img = document.querySelector(\'{css("avatar-preview")} img[data-testid="avatar-img"]\');'
            'return img !== null && img.complete && img.naturalWidth === 96;'))

    wait(driver, loaded, 'the preview shows the uploaded picture at 96 pixels')
    assert find(driver, 'avatar-status').text == 'Picture saved.'
    find(driver, 'avatar-remove')
    alt = driver.find_element(By.CSS_SELECTOR, css('avatar-preview') + ' img').get_attribute('alt')
    assert alt == 'Your profile picture'
