"""Is the load tool a browser? ``python -m bench.calibrate``: the same typing load in real headless Chromium and in the
tool, each on a fresh app, side by side.

A few pairs (``--pairs``), each person in a Chromium of their own, sign in and open their chat; after one unmeasured
message each way and ``--idle`` seconds with nobody typing (the app's idle rate), each pair says in turns the
messages that take ``--seconds`` to type, as in scenario t (``bench/typist.py``): the same texts of 10-80 characters
(``typist.plan``), typed at ``--cps`` (each key the ``input`` event a keystroke raises, dispatched by the page on its
own clock, then the Enter ``keydown`` that the composer's send button dispatches too), the reply begun when the
message shows on the other page. Then the tool does exactly that on another fresh app. Both runs use the benchmark's
app settings (production argon2id, limits lifted).

Chromium's figures come from its performance log: every websocket frame each way with its size; a message's latency
from the frame that carried Enter on the sender's page to the first frame that brought its bubble to the receiver's
(both Chromium's monotonic clock); the typing signals are the ``input`` events that carried ``true`` or ``false``.
Prints a markdown table and one JSON line per run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selenium.webdriver.remote.webdriver import WebDriver

from bench import seed
from bench.load import DRAIN_SECONDS, close_all, open_chats
from bench.measure import Deliveries, bubbled, latency_figures, mark
from bench.page import html_of
from bench.setup import Services, running, world
from bench.tab import Traffic
from bench.typist import LONGEST, SHORTEST, idle_cpu, message_text, plan, talk
from bench.usage import cpu_use

Row = dict[str, Any]
LABEL = 'c'
FIGURES = (('characters typed a second', 'typed_cps'), ('messages delivered', 'delivered'), ('lost', 'lost'),
           ('p50 latency, ms', 'p50_ms'),
           ('p99 latency, ms', 'p99_ms'), ('server CPU per message, ms', 'server_cpu_ms_per_msg'),
           ('server CPU per message beyond idle, ms', 'net_server_cpu_ms_per_msg'),
           ('server CPU per typing person per second, ms', 'server_cpu_ms_per_typist_s'),
           ('the same beyond idle, ms', 'net_server_cpu_ms_per_typist_s'),
           ('server CPU idle, ms per s', 'idle_server_cpu_ms_per_s'),
           ('typing signals per message', 'typing_signals_per_msg'),
           ('frames sent per message', 'frames_sent_per_msg'),
           ('frames received per message', 'frames_received_per_msg'),
           ('bytes sent per message', 'bytes_sent_per_msg'), ('bytes received per message', 'bytes_received_per_msg'))


def main() -> None:
    parser = argparse.ArgumentParser(prog='python -m bench.calibrate', description=__doc__)
    parser.add_argument('--pairs', type=int, default=4)
    parser.add_argument('--seconds', type=float, default=60, help='seconds of typing for each pair')
    parser.add_argument('--cps', type=float, default=6.0, help='characters a second')
    parser.add_argument('--idle', type=float, default=20, help='seconds idle before typing, for the idle rate')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='chatapp-calibrate-') as folder:
        services = Services(Path(folder))
        rows = {}
        for name, run in (('chromium', chromium_run), ('tool', tool_run)):
            load = round(os.getloadavg()[0], 2)
            rows[name] = {**run(services, args.pairs, args.seconds, args.cps, args.idle), 'load_before': load}
            print(json.dumps({'run': name, **rows[name]}), flush=True)
    print(table(rows, args))


def table(rows: dict[str, Row], args: argparse.Namespace) -> str:
    """Chromium beside the tool, and the tool's figure as a share of Chromium's."""
    chromium, tool = rows['chromium'], rows['tool']
    lines = [f'{args.pairs} pairs typing in turns at {args.cps:g} characters a second (messages of {SHORTEST}-'
             f'{LONGEST}), {args.seconds:g} s of typing a pair; load average before: '
             f'Chromium {chromium["load_before"]}, tool {tool["load_before"]}', '',
             '| figure | Chromium | tool | tool / Chromium |', '|---|---|---|---|']
    for what, key in FIGURES:
        a, b = chromium.get(key), tool.get(key)
        ratio = f'{b / a:.2f}' if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a else ''
        lines.append(f'| {what} | {a} | {b} | {ratio} |')
    kinds_a, kinds_b = chromium.get('frame_kinds_per_msg', {}), tool.get('frame_kinds_per_msg', {})
    for kind in sorted(set(kinds_a) | set(kinds_b)):
        lines.append(f'| frames {kind} per message | {kinds_a.get(kind, 0)} | {kinds_b.get(kind, 0)} | |')
    return '\n'.join(lines)


# --- the tool ------------------------------------------------------------------------------------------------------

def tool_run(services: Services, pairs: int, seconds: float, cps: float, idle_seconds: float) -> Row:
    return asyncio.run(_tool_run(services, pairs, seconds, cps, idle_seconds))


async def _tool_run(services: Services, pairs: int, seconds: float, cps: float, idle_seconds: float) -> Row:
    w = world(services, 'tool')
    made = w.seed(lambda runner: seed.make_pairs(runner, pairs))
    with running(services, w) as apps:
        deliveries = Deliveries()
        chats = await open_chats(made, [apps[0].base_url], deliveries)
        try:
            for i, chat in enumerate(chats):  # one unmeasured message each way, as in Chromium
                for n, (sender, receiver) in enumerate(((chat.a, chat.b), (chat.b, chat.a))):
                    await deliveries.send(sender, receiver, f'w{i}x{n}', message_text(f'w{i}x{n}', 20))
                    await deliveries.delivered(f'w{i}x{n}', DRAIN_SECONDS)
            idle = await idle_cpu(apps[0], idle_seconds)
            return await talk(apps[0], chats, deliveries, seconds, cps, LABEL, idle=idle)
        finally:
            await close_all(chats)


# --- Chromium ------------------------------------------------------------------------------------------------------

@dataclass
class Browser:
    """One person in a Chromium of their own, on their chat page."""

    name: str
    driver: WebDriver
    typed: int = 0
    typing_seconds: float = 0.0
    frames: list[tuple[str, float, str]] = field(default_factory=list)
    """(``sent``/``received``, Chromium's monotonic seconds, payload) of the measured phase."""

    def read_frames(self) -> list[tuple[str, float, str]]:
        out = []
        for entry in self.driver.get_log('performance'):  # type: ignore[attr-defined]
            message = json.loads(entry['message'])['message']
            if message['method'] in ('Network.webSocketFrameSent', 'Network.webSocketFrameReceived'):
                way = 'sent' if message['method'].endswith('Sent') else 'received'
                out.append((way, message['params']['timestamp'], message['params']['response']['payloadData']))
        return out


def chromium_run(services: Services, pairs: int, seconds: float, cps: float, idle_seconds: float) -> Row:
    from tests.e2e.harness import login, start_chrome, text_field

    w = world(services, 'chromium')
    made = w.seed(lambda runner: seed.make_pairs(runner, pairs))
    browsers: list[Browser] = []
    with running(services, w) as apps:
        app = apps[0]
        try:
            for pair in made:
                for name, peer in ((pair.a, pair.b), (pair.b, pair.a)):
                    browser = Browser(name, start_chrome(w.settings.data_dir / f'chrome-{name}', performance_log=True))
                    browsers.append(browser)
                    login(browser.driver, app.base_url, name, seed.PASSWORD)
                    browser.driver.get(f'{app.base_url}/chat/{peer}')
                    text_field(browser.driver, 'message-input')  # the chat page is there
                    browser.driver.set_script_timeout(3 * seconds + 120)
            for i in range(pairs):  # one unmeasured message each way, pasted
                warm = [(f'w{i}x{n}', message_text(f'w{i}x{n}', 20)) for n in range(2)]
                _converse(browsers[2 * i:2 * i + 2], [warm], 0)
            with cpu_use(app) as idle:
                time.sleep(idle_seconds)
            for browser in browsers:
                browser.read_frames()  # forget what came before
            said = plan(pairs, seconds, cps, LABEL)
            with cpu_use(app) as cpu:
                started = time.perf_counter()
                _converse(browsers, said, cps)
                took = time.perf_counter() - started
            for browser in browsers:
                browser.frames = browser.read_frames()
        finally:
            for browser in browsers:
                browser.driver.quit()
    sent = [(message_id, made[i].a if n % 2 == 0 else made[i].b, made[i].b if n % 2 == 0 else made[i].a)
            for i, messages in enumerate(said) for n, (message_id, _) in enumerate(messages)]
    return _figures(browsers, sent, cpu.server, idle.server / idle_seconds, took, pairs, cps)


def _converse(browsers: Sequence[Browser], plans: list[list[tuple[str, str]]], cps: float) -> None:
    """Pair ``i`` of ``browsers`` (``2i`` and ``2i + 1``) says ``plans[i]`` in turns (pasted when ``cps`` is 0), each
    browser on its own in its page (``_CONVERSE``), one thread waiting for each."""

    def run(index: int) -> None:
        browser = browsers[index]
        spoken = [(message_id, mark(message_id), text) for message_id, text in plans[index // 2]]
        within = (LONGEST / cps if cps else 0) + DRAIN_SECONDS  # the other types their reply before it can show
        typed = browser.driver.execute_async_script(_CONVERSE, spoken, index % 2, 1000 / cps if cps else 0,
                                                    within * 1000)
        if cps:
            browser.typed += sum(len(text) for message_id, _, text in spoken if message_id in dict(typed))
            browser.typing_seconds += sum(float(ms) for _, ms in typed) / 1000

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        list(pool.map(run, range(len(browsers))))


_CONVERSE = """
const [spoken, me, interval, within, done] = arguments;
let box = document.querySelector('[data-testid=message-input]');
if (box.tagName !== 'TEXTAREA') box = box.querySelector('textarea');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const bubbles = () => [...document.querySelectorAll('[data-testid=message]')];
const shows = (head) => bubbles().some((e) => e.textContent.includes(head));
const shown = (head) => new Promise((resolve) => {
  if (shows(head)) { resolve(true); return; }
  const observer = new MutationObserver(() => {
    if (shows(head)) { observer.disconnect(); clearTimeout(timer); resolve(true); }
  });
  const timer = setTimeout(() => { observer.disconnect(); resolve(false); }, within);
  observer.observe(document.body, {childList: true, subtree: true, characterData: true});
});
(async () => {
  const typed = [];
  for (let n = 0; n < spoken.length; n++) {
    const [id, head, text] = spoken[n];
    if (n % 2 !== me) { if (await shown(head)) continue; break; }
    box.focus();
    const started = performance.now();
    if (interval) {
      for (let k = 0; k < text.length; k++) {
        await sleep(started + k * interval - performance.now());
        box.value += text[k];
        box.dispatchEvent(new InputEvent('input', {bubbles: true, inputType: 'insertText', data: text[k]}));
      }
      await sleep(started + text.length * interval - performance.now());
    } else {
      box.value = text;
      box.dispatchEvent(new InputEvent('input', {bubbles: true, inputType: 'insertFromPaste'}));
    }
    typed.push([id, performance.now() - started]);
    box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', keyCode: 13, bubbles: true}));
  }
  done(typed);
})();
"""
"""One person's side of a conversation, run by the page itself so that no round trip through ChromeDriver paces it:
in turns, wait until the other's message shows in a bubble (giving up after ``within`` ms), or type one's own. Each
key is the ``input`` event a keystroke raises in the box (the composer listens to nothing else but Enter), on the
page's own clock; Enter is the ``keydown`` the composer's send button dispatches too. Keys sent one by one through
ChromeDriver (``send_keys``, or DevTools' ``Input.dispatchKeyEvent``) fell behind: 3.6 characters a second instead of
6 with eight browsers on this machine's two cores, and their round trips took CPU from the server. Returns
``[id, ms]`` for each message typed: from its first key to one key's time after its last."""


def _figures(browsers: Sequence[Browser], sent: list[tuple[str, str, str]], server_cpu: float, idle: float,
             took: float, pairs: int, cps: float) -> Row:
    """The same figures as ``bench.typist.talk`` gives for the tool, from Chromium's frames."""
    traffic = Traffic()
    pressed: dict[str, float] = {}
    shown: dict[str, float] = {}
    signals = 0
    for browser in browsers:
        for way, at, payload in browser.frames:
            traffic.count(way, payload)
            if way == 'sent':
                if payload.startswith('42["event"') and ('"args":["true"]' in payload or '"args":["false"]' in payload):
                    signals += 1
                for message_id, _, _ in sent:
                    if f'{mark(message_id)}' in payload and message_id not in pressed:
                        pressed[message_id] = at
            else:
                for message_id in _bubbles(payload):
                    receiver = next((r for m, _, r in sent if m == message_id), None)
                    if receiver == browser.name and message_id not in shown:
                        shown[message_id] = at
    latencies = sorted((shown[m] - pressed[m]) * 1000 for m in pressed if m in shown)
    delivered = len(latencies)
    typed_cps = sum(b.typed for b in browsers) / max(sum(b.typing_seconds for b in browsers), 1e-9)
    return {'pairs': pairs, 'cps': cps, 'typed_cps': round(typed_cps, 2), 'sent': len(sent), 'delivered': delivered,
            'lost': len(sent) - delivered,
            **latency_figures(latencies), 'talk_seconds': round(took, 1),
            'server_cpu_ms_per_msg': round(server_cpu * 1000 / max(delivered, 1), 2),
            'idle_server_cpu_ms_per_s': round(idle * 1000, 2),
            'net_server_cpu_ms_per_msg': round((server_cpu - idle * took) * 1000 / max(delivered, 1), 2),
            'server_cpu_ms_per_typist_s': round(server_cpu * 1000 / (pairs * took), 2),
            'net_server_cpu_ms_per_typist_s': round((server_cpu - idle * took) * 1000 / (pairs * took), 2),
            'typing_signals_per_msg': round(signals / max(delivered, 1), 2), **traffic.per(delivered)}


def _bubbles(payload: str) -> list[str]:
    """The marked messages an ``update`` frame shows in bubbles."""
    if not payload.startswith('42["update"'):
        return []
    _, update = json.loads(payload[2:])
    return [m for element in update.values() if isinstance(element, dict) for m in bubbled(html_of(element))]


if __name__ == '__main__':
    main()
