"""Scenario t: pairs who type their messages at a person's speed, in turns, as people chat.

Each pair says as many messages as take ``t_seconds`` to type (fixed in advance: ``plan``): whoever's turn it is
types a message of 10-80 characters key by key at ``t_cps`` characters a second (``Person.type``: the composer's
typing signal at the first key and every 3 s after, as Chromium sends it; a key itself sends nothing) and presses
Enter; the other starts the reply when the message shows on their page. Then the same texts in the same rhythm
pasted (one ``input`` event, then Enter after the same wait), so the difference is what typing itself costs.
Before both, ``t_idle_seconds`` with every page open and nobody typing: the app's idle rate, taken off to give the
CPU beyond idle of one typing person per second.

Every row says what the sockets carried per delivered message, each way (``Tab.traffic``), which the calibration in
real Chromium (``bench/calibrate.py``) compares with Chromium's own frames for the same load.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.load import DRAIN_SECONDS, Chat, chatting_pairs
from bench.measure import Deliveries, mark
from bench.page import Element
from bench.person import Person
from bench.server import AppProcess
from bench.setup import Services, measured
from bench.tab import Traffic
from bench.usage import cpu_use, named

if TYPE_CHECKING:
    from bench.scenarios import Row, Scale

SHORTEST, LONGEST = 10, 80
"""Characters in a message (a message is never shorter than its mark, ``bench t3x12 @``)."""
FILLER = 'shall we meet at the station at noon, or would a little later suit you better? '


async def scenario_t(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    """``t_pairs`` pairs typing in turns at ``t_cps`` for ``t_seconds``, then the same pasted."""
    async with chatting_pairs(services, 't', scale.t_pairs, scale.warmup_messages) as (app, chats, deliveries):
        idle = await idle_cpu(app, scale.t_idle_seconds)
        with measured(services, [app], 't'):
            typed = await talk(app, chats, deliveries, scale.t_seconds, scale.t_cps, 't', idle=idle)
        pasted = await talk(app, chats, deliveries, scale.t_seconds, scale.t_cps, 'p', idle=idle, paste=True)
    row = {**typed, **named('pasted', {key: pasted[key] for key in (
        'sent', 'lost', 'p50_ms', 'p99_ms', 'server_cpu_ms_per_msg', 'net_server_cpu_ms_per_msg',
        'typing_signals_per_msg', 'frames_sent_per_msg', 'frames_received_per_msg')})}
    if pasted['net_server_cpu_ms_per_msg'] > 0:  # beyond idle, as bench/typing_cost.py compares them
        row['typed_vs_pasted_cpu'] = round(typed['net_server_cpu_ms_per_msg'] / pasted['net_server_cpu_ms_per_msg'], 2)
    return row


async def talk(app: AppProcess, chats: Sequence[Chat], deliveries: Deliveries, seconds: float, cps: float,
               label: str, *, idle: float, paste: bool = False) -> Row:
    """One measured phase of turns (``converse``) and its figures: delivery; server and tool CPU per message; server
    CPU per typing person and second (with the two open pages of their pair), all of it and beyond ``idle`` (the
    app's CPU seconds a second with nobody typing); frames and bytes per message."""
    deliveries.reset()
    people = [person for chat in chats for person in (chat.a, chat.b)]
    traffic, signals = total_traffic(people), sum(person.typing_signals for person in people)
    typed, typing = sum(p.typed for p in people), sum(p.typing_seconds for p in people)
    with cpu_use(app) as cpu, typing_lines(people) as lines:
        took = await converse(chats, deliveries, seconds, cps, label, paste=paste)
    row = deliveries.summary()
    delivered = max(row['delivered'], 1)
    typist_seconds = len(chats) * took  # one person of each pair is typing (or about to) at any moment
    typed_cps = (sum(p.typed for p in people) - typed) / max(sum(p.typing_seconds for p in people) - typing, 1e-9)
    return {'pairs': len(chats), 'cps': cps, 'typed_cps': round(typed_cps, 2) if not paste else None, **row,
            'talk_seconds': round(took, 1),
            'delivered_per_s': round(row['delivered'] / took, 2), **cpu.per_message(row['delivered']),
            'idle_server_cpu_ms_per_s': round(idle * 1000, 2),
            'net_server_cpu_ms_per_msg': round((cpu.server - idle * took) * 1000 / delivered, 2),
            'server_cpu_ms_per_typist_s': round(cpu.server * 1000 / typist_seconds, 2),
            'net_server_cpu_ms_per_typist_s': round((cpu.server - idle * took) * 1000 / typist_seconds, 2),
            'typing_signals_per_msg': round((sum(p.typing_signals for p in people) - signals) / delivered, 2),
            'typing_lines_shown': lines.shown,
            **(total_traffic(people) - traffic).per(row['delivered'])}


async def converse(chats: Sequence[Chat], deliveries: Deliveries, seconds: float, cps: float, label: str, *,
                   paste: bool = False) -> float:
    """Every pair says its ``plan`` in turns: type (or wait as long, then paste) a message, Enter, and the other
    replies once it shows. Returns the seconds taken, until the last message arrived."""
    started = time.perf_counter()

    async def pair(chat: Chat, messages: list[tuple[str, str]]) -> None:
        sender, receiver = chat.a, chat.b
        for message_id, text in messages:
            if paste:
                await asyncio.sleep(len(text) / cps)
                await sender.paste(text)
            else:
                await sender.type(text, cps)
            await deliveries.send(sender, receiver, message_id, text)
            if not await deliveries.delivered(message_id, DRAIN_SECONDS):
                return
            sender, receiver = receiver, sender

    await asyncio.gather(*(pair(chat, messages) for chat, messages in zip(chats, plan(len(chats), seconds, cps, label),
                                                                         strict=True)))
    return time.perf_counter() - started


def plan(pairs: int, seconds: float, cps: float, label: str) -> list[list[tuple[str, str]]]:
    """What each pair says, in turns, its first person first: ``(message id, text)`` of 10-80 characters (pair
    ``i``'s lengths seeded by ``i``), as many as take ``seconds`` to type at ``cps``. Fixed in advance, so that the
    tool and Chromium say exactly the same, whatever either's overheads."""
    said = []
    for index in range(pairs):
        lengths = random.Random(index)
        messages: list[tuple[str, str]] = []
        typing = 0.0
        while typing < seconds or not messages:
            message_id = f'{label}{index}x{len(messages)}'
            messages.append((message_id, message_text(message_id, lengths.randint(SHORTEST, LONGEST))))
            typing += len(messages[-1][1]) / cps
        said.append(messages)
    return said


def message_text(message_id: str, length: int) -> str:
    """A text of ``length`` characters (at least its mark's) that begins with the message's mark."""
    head = mark(message_id)
    return (head + ' ' + FILLER * (1 + LONGEST // len(FILLER)))[:max(length, len(head))].rstrip()


async def idle_cpu(app: AppProcess, seconds: float) -> float:
    """The app's CPU seconds a second with every page open and nobody typing."""
    with cpu_use(app) as cpu:
        await asyncio.sleep(seconds)
    return cpu.server / seconds


def total_traffic(people: Sequence[Person]) -> Traffic:
    return sum((person.tab.traffic for person in people), Traffic())


@dataclass
class Lines:
    shown: int = 0


@contextmanager
def typing_lines(people: Sequence[Person]) -> Iterator[Lines]:
    """Counts the updates that show someone typing on these pages (the conversation's "alice is typing…" line)
    while the block runs: proof that the typing signals reached the other person."""
    lines = Lines()

    def seen(element_id: str, element: Element, at: float) -> None:
        if element.get('props', {}).get('data-testid') == 'typing' and element.get('text'):
            lines.shown += 1

    for person in people:
        person.tab.hooks.append(seen)
    try:
        yield lines
    finally:
        for person in people:
            person.tab.hooks.remove(seen)
