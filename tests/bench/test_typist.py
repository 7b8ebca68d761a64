"""The load tool's typing person and its browser habits: what a keystroke, a paste and Enter send (as recorded in
headless Chromium: the composer's ``input`` handler signals ``true`` at the first key and at most once per
``TYPING_EVERY`` s, ``false`` when the box empties; a key sends nothing else), and the echo of a value the server
sets. Counts of events, never times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import seed
from bench.measure import bubbled
from bench.person import Person
from bench.setup import Services, running, world
from bench.typist import LONGEST, SHORTEST, message_text


class RecordingTab:
    """Stands in for a tab: keeps what the person emitted."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, str, Any]] = []

    async def emit(self, testid: str, kind: str, arg: Any, key: str | None = None) -> None:
        self.emitted.append((testid, kind, arg))

    async def close(self) -> None:
        pass


async def test_typing_sends_one_signal_per_few_seconds_and_enter_sends_the_text() -> None:
    person = Person('http://127.0.0.1:1', 'alice')
    tab = RecordingTab()
    person.tab = tab  # type: ignore[assignment]
    try:
        await person.type('hello there, bob', cps=400)  # 16 keys in 0.04 s: well within one signal's period
        assert tab.emitted == [('message-input', 'input', True)]
        await person.send('hello there, bob')
        assert [kind for _, kind, _ in tab.emitted] == ['input', 'keydown']
        assert tab.emitted[1][2]['text'] == 'hello there, bob'
        await person.type(' ', cps=400)  # a box of blanks is not typing
        await person.type('x', cps=400)  # after a send the next key signals again
        await person.paste('')  # emptied: stop
        assert tab.emitted[2:] == [('message-input', 'input', True), ('message-input', 'input', False)]
        assert person.typing_signals == 3
    finally:
        await person.close()


def test_message_texts_carry_their_mark_and_stay_within_the_lengths() -> None:
    for length in (SHORTEST, 40, LONGEST):
        text = message_text('t3x12', length)
        assert len(text) <= max(length, len('bench t3x12 @'))
        assert bubbled(f'<div data-testid="message">{text}</div>') == ['t3x12']


async def test_a_tab_echoes_a_value_that_the_server_sets_as_chromium_does(tmp_path: Path) -> None:
    services = Services(tmp_path)
    w = world(services, 'echo')
    pair = w.seed(lambda runner: seed.make_pairs(runner, 1))[0]
    with running(services, w) as apps:
        person = Person(apps[0].base_url, pair.a)
        try:
            tab = person.tab
            await tab.goto('/login')
            await tab.type('login-username', pair.a)
            await tab.type('login-password', 'not the password')
            await tab.flushed(within=10)  # counted as they leave the tab
            events = tab.traffic.kinds['sent event']
            await tab.click('login-submit')  # refused: the page sets the password box to '' (set_value)
            await tab.wait_until(lambda _: tab.echoes, within=15, what="the browser's echo of the emptied box")
            _, box = await tab.wait_for('login-password')
            assert box['props']['value'] == ''
            await tab.flushed(within=10)
            assert tab.traffic.kinds['sent event'] - events == 2  # the click and the echo
            assert tab.traffic.frames_received > 0 and tab.traffic.bytes_sent > 0
        finally:
            await person.close()
