"""Make the README's screenshot: ``python -m tests.e2e.screenshot`` (needs Debian's chromium and chromedriver).

It runs the real app on a temporary data folder, lets two browsers sign up, befriend and chat, and saves Bob's chat
page to ``docs/screenshot.png``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.e2e import harness as h

PASSWORD = 'correct horse battery staple'
CONVERSATION = [
    ('alice', 'Hi Bob! How are you?'),
    ('bob', 'Great, building things. <b>not bold</b>: messages are shown as typed'),
    ('alice', 'Nice! Friends only, live in every tab, and nothing lost when the network drops.'),
]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        app = h.AppProcess(data_dir=root / 'data', env=h.app_env())
        with h.running_apps(app):
            alice, bob = h.start_chrome(root / 'alice'), h.start_chrome(root / 'bob')
            try:
                h.signup(alice, app.base_url, 'alice', PASSWORD, display_name='Alice Liddell')
                h.signup(bob, app.base_url, 'bob', PASSWORD, display_name='Bob Builder')
                h.search_and_add(bob, 'alice')
                h.accept(alice, 'bob')
                h.open_chat(alice, 'bob')
                h.open_chat(bob, 'alice')
                browsers = {'alice': alice, 'bob': bob}
                for sender, text in CONVERSATION:
                    h.send(browsers[sender], text)
                    h.wait_for_message(bob if sender == 'alice' else alice, text)
                bob.save_screenshot(str(h.ROOT / 'docs' / 'screenshot.png'))
            finally:
                alice.quit()
                bob.quit()


if __name__ == '__main__':
    main()
