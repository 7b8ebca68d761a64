"""Scenario r: what a chat page costs the server once it rests (``pages.dormancy``), and that it comes back whole.

The pages of scenario j's memory half (50 inbox rows, 50 messages), each turned away from as soon as it shows: the
app (``CHATAPP_DORMANT_AFTER_SECONDS=1``) sends it to ``/rest``, which the tool follows as the browser follows
``location.replace``; a page counts as open once it rests. Memory is the slope of RSS as in j. Then a sample of the
pages is looked at again: each must come back to its conversation with its inbox pane and 50 messages, every message
once, and the time from the tab showing to the page whole is reported.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from typing import TYPE_CHECKING

from bench.inbox import page_memory, whole
from bench.measure import latency_figures
from bench.page import Page, html_of
from bench.person import Person
from bench.setup import Services
from bench.usage import named

if TYPE_CHECKING:
    from bench.scenarios import Row, Scale

RESTING = 'resting'
AFTER_SECONDS = 1
BACK = 40
"""Pages looked at again at the end."""
BUBBLE = re.compile(r'data-testid="message"[^>]*>(.*?)</div>', re.S)


async def scenario_r(services: Services, scale: Scale, earlier: dict[str, Row]) -> Row:
    row = await page_memory(services, scale, 'r-resting', opened=_turn_away, finish=_come_back,
                            settings={'CHATAPP_DORMANT_AFTER_SECONDS': str(AFTER_SECONDS)})
    return {**row, 'rests_after_s': AFTER_SECONDS}


async def _turn_away(person: Person) -> None:
    await person.tab.show(False)
    await person.tab.wait_for(RESTING)


async def _come_back(people: list[tuple[Person, str]]) -> Row:
    resting = sum(1 for person, _ in people if person.tab.path.startswith('/rest?'))
    sample = people[::max(1, len(people) // BACK)][:BACK]
    times: list[float] = []
    gate = asyncio.Semaphore(4)

    async def back(person: Person, peer: str) -> None:
        async with gate:
            started = time.perf_counter()
            await person.tab.show(True)
            await person.tab.wait_until(lambda page: page.path == f'/chat/{peer}', what=f'the chat with {peer}')
            await whole(person)
            times.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(back(person, peer) for person, peer in sample))
    pages = [person.tab.page for person, _ in sample if person.tab.page]
    return {'resting_pages': resting, 'back_pages': len(times),
            'back_messages_min': min(page.count('message') for page in pages),
            'back_duplicated': sum(_duplicated(page) for page in pages),
            **named('back', latency_figures(sorted(times)))}


def _duplicated(page: Page) -> int:
    """Messages the page shows more than once (the seeded history's texts are all different)."""
    shown = Counter(text for element in page.elements.values() for text in BUBBLE.findall(html_of(element)))
    return sum(count - 1 for count in shown.values() if count > 1)
