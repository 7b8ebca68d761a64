"""Make the README's screenshots: ``python -m tests.e2e.screenshot`` (needs Debian's chromium and chromedriver).

It runs the real app on the showcase data of the look tests (alice, bob and carol, a direct chat and the group
"Weekend trip", made through the services) and saves what alice sees to ``docs/screenshots/``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.e2e.showcase import browsers, open_page, world

SHOTS = {  # file name: (page, width, height, mode)
    'chat-desktop.png': ('chat', 1280, 760, 'light'),
    'group-desktop-dark.png': ('group', 1280, 760, 'dark'),
    'inbox-phone.png': ('inbox', 390, 760, 'light'),
    'chat-phone-dark.png': ('chat', 390, 760, 'dark'),
}


def main() -> None:
    target = Path(__file__).resolve().parents[2] / 'docs' / 'screenshots'
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / 'browsers').mkdir()
        with world(root / 'world') as shown, browsers(shown, root / 'browsers') as drivers:
            alice = drivers['alice']
            for name, (page, width, height, mode) in SHOTS.items():
                alice.set_window_size(width, height)
                open_page(alice, shown, page, mode)
                alice.save_screenshot(str(target / name))
                print(f'wrote {target / name}')


if __name__ in {'__main__', '__mp_main__'}:
    main()
