"""What a person typing costs the server, measured in real headless Chromium: ``python -m bench.typing_cost``.

One app process, two friends; alice's browser types a message key by key into the chat box at a set speed, then
pastes the same message, each followed by Enter. The tool reads the app's CPU time around each phase (less the same
time idle) and counts the socket.io frames the browser sent (Chromium's performance log). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.settings import Settings
from tests.e2e.harness import AppProcess, app_env, login, random_secret, running_apps, start_chrome, text_field
from tests.factories import PASSWORD, make_friends, make_user

MESSAGE = 'Shall we meet at the station at noon?'  # 37 characters, near the 38


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--messages', type=int, default=10, help='messages typed (and as many pasted)')
    parser.add_argument('--cps', type=float, default=6.0, help='characters a second while typing')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(measure(Path(folder), args.messages, args.cps)))


def measure(folder: Path, messages: int, cps: float) -> dict[str, float | int]:
    url = f'sqlite:///{folder / "server" / "chatapp.db"}'
    (folder / 'server').mkdir()
    settings = Settings(data_dir=folder / 'services', database_url=url, secret=random_secret(),
                        argon2_memory_kib=1024, argon2_time_cost=1)
    services = make_runner(settings, MemoryBroker())
    make_friends(services, make_user(services, 'alice'), make_user(services, 'bob'))
    services.shutdown()
    app = AppProcess(folder / 'server', app_env(database_url=url))
    with running_apps(app):
        driver = start_chrome(folder / 'chrome', performance_log=True)
        try:
            login(driver, app.base_url, 'alice', PASSWORD)
            driver.get(f'{app.base_url}/chat/bob')
            box = text_field(driver, 'message-input')
            _frames_sent(driver)
            seconds = messages * len(MESSAGE) / cps
            idle = _cpu(app, lambda: time.sleep(seconds))
            typed = _cpu(app, lambda: _type(box, messages, cps))
            typed_frames = _frames_sent(driver)
            pasted = _cpu(app, lambda: _paste(driver, messages, seconds))
            pasted_frames = _frames_sent(driver)
        finally:
            driver.quit()
    idle_rate = idle[0] / idle[1]  # CPU seconds per second of an idle server with the page open
    return {
        'messages': messages, 'characters_per_message': len(MESSAGE), 'typing_cps': cps,
        'idle_server_cpu_ms_per_s': round(idle_rate * 1000, 2),
        'server_cpu_ms_per_typed_message': round((typed[0] - idle_rate * typed[1]) / messages * 1000, 2),
        'server_cpu_ms_per_pasted_message': round((pasted[0] - idle_rate * pasted[1]) / messages * 1000, 2),
        'frames_sent_per_typed_message': round(typed_frames / messages, 1),
        'frames_sent_per_pasted_message': round(pasted_frames / messages, 1),
    }


def _type(box: object, messages: int, cps: float) -> None:
    for _ in range(messages):
        for character in MESSAGE:
            box.send_keys(character)  # type: ignore[attr-defined]
            time.sleep(1 / cps)
        box.send_keys(Keys.ENTER)  # type: ignore[attr-defined]


def _paste(driver: WebDriver, messages: int, seconds: float) -> None:
    start = time.monotonic()
    for _ in range(messages):
        driver.execute_cdp_cmd('Input.insertText', {'text': MESSAGE})
        for kind in ('keyDown', 'keyUp'):
            driver.execute_cdp_cmd('Input.dispatchKeyEvent', {'type': kind, 'key': 'Enter', 'code': 'Enter',
                                                              'windowsVirtualKeyCode': 13, 'text': '\r'})
    time.sleep(max(0.0, seconds - (time.monotonic() - start)))  # the same wall time as the idle and typed phases


def _cpu(app: AppProcess, phase: object) -> tuple[float, float]:
    """The app's CPU seconds during ``phase``, and the phase's wall seconds."""
    before, start = app.cpu_seconds(), time.monotonic()
    phase()  # type: ignore[operator]
    return app.cpu_seconds() - before, time.monotonic() - start


def _frames_sent(driver: WebDriver) -> int:
    """Socket frames the page sent since the last call (engine.io pings and pongs included)."""
    count = 0
    for entry in driver.get_log('performance'):  # type: ignore[attr-defined]
        if json.loads(entry['message'])['message']['method'] == 'Network.webSocketFrameSent':
            count += 1
    return count


if __name__ == '__main__':
    main()
