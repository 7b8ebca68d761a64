"""The ephemeral path: typing and presence signals, published straight on the broker.

Unlike durable facts (messages, memberships, read positions: stored, then published after the commit, caught up
from the database after a gap), an ephemeral signal is never stored, replayed or retried. It goes out once, on the
same ``Broker.publish`` for both brokers, with no database transaction around it; if the broker fails, the signal
is dropped and logged, never raised into a page. Views re-ask (``presence_of``) after a reconnect instead.

Who hears a signal is still a security decision, made here from the database: ``services.presence``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chatapp.clock import utcnow
from chatapp.errors import NotFound
from chatapp.events import PresenceChanged, Typing
from chatapp.presence import PresenceStore, PresenceTracker, make_store
from chatapp.schemas import PresenceInfo
from chatapp.services import presence

if TYPE_CHECKING:
    from chatapp.broker import Broker
    from chatapp.services.tx import ServiceRunner
    from chatapp.settings import Settings

log = logging.getLogger(__name__)
TYPING_INTERVAL = 3.0
"""Seconds between two active typing signals of one typist in one conversation; a faster one waits for its turn."""
TYPING_FADE = 6.0
"""Seconds after which receivers fade a typing signal on their own; an older one needs no "stopped" signal."""


class Ephemeral:
    """Typing and presence for one process (``chat.ephemeral``). Start it after the broker, stop it before."""

    def __init__(self, settings: Settings, broker: Broker, run: ServiceRunner, *,
                 store: PresenceStore | None = None) -> None:
        self._broker = broker
        self._run = run
        self.store = store or make_store(settings.redis_url, prefix=settings.redis_prefix,
                                         ttl=settings.presence_ttl_seconds)
        self.presence = PresenceTracker(self.store, self._announce, grace=settings.presence_grace_seconds)
        """Counts pages; ``Hub.attach`` hands it every signed-in page."""
        self.typing_throttle = TypingThrottle()
        self._deferred: dict[tuple[int, int], asyncio.Task[None]] = {}
        """Active signals waiting for their turn, one per typist and conversation (see ``typing``)."""

    async def start(self) -> None:
        await self.presence.start()

    async def stop(self) -> None:
        for task in list(self._deferred.values()):
            task.cancel()
        await self.presence.stop()
        await self.store.close()

    async def typing(self, *, actor_id: int, conversation_id: int, active: bool) -> None:
        """Tell the other members of the conversation that the actor is typing (``active``) or stopped. Never raises.

        At most one active signal per typist and conversation goes out every ``TYPING_INTERVAL``: the browser
        throttles too, but a forged page must not make the server query or publish faster. The audience is read
        afresh for each active signal (that throttle bounds the queries, so no cache is needed, and a removed member
        stops hearing or reaching others at the next one); a stop goes to exactly those who heard the start, and
        only when a start went out and was not stopped yet. An actor who may not use the conversation reaches no one.
        """
        key = (actor_id, conversation_id)
        if not active:
            if (waiting := self._deferred.pop(key, None)) is not None:
                waiting.cancel()
            sent = self.typing_throttle.stop(key)
            if sent is not None:
                await self.publish(Typing(recipients=sent.audience, conversation_id=conversation_id,
                                          user_id=actor_id, name=sent.name, active=False))
            return
        sent = self.typing_throttle.start(key)
        if sent is None:
            self._defer(key)
            return
        if (waiting := self._deferred.pop(key, None)) is not None:
            waiting.cancel()  # this signal is the one that was waiting
        await self._send_start(key, sent)

    async def _send_start(self, key: tuple[int, int], sent: SentTyping) -> None:
        actor_id, conversation_id = key
        try:
            name, audience = await self._run(presence.typing_targets, actor_id=actor_id,
                                             conversation_id=conversation_id)
        except NotFound:
            return  # the throttle entry stays, empty: a refused actor cannot make us query faster either
        except Exception as error:
            log.warning('typing signal dropped: its audience could not be read (%s)', error)
            return
        sent.name, sent.audience = name, tuple(audience)
        if sent.audience:
            await self.publish(Typing(recipients=sent.audience, conversation_id=conversation_id, user_id=actor_id,
                                      name=name, active=True))

    def _defer(self, key: tuple[int, int]) -> None:
        """An active signal within the interval waits for its turn instead of being dropped: a person who sends and
        at once types the next message has been cleared on every screen by that message, and must show as typing
        again (at most one interval late). A stop before the turn cancels it; one waits per key at most."""
        if key in self._deferred:
            return
        delay = self.typing_throttle.wait(key)

        async def later() -> None:
            wait = delay
            while self._deferred.get(key) is task:
                await asyncio.sleep(wait)
                # asyncio may wake a timer up to its clock's resolution early: then the turn is a moment away still
                if self._deferred.get(key) is task and (sent := self.typing_throttle.start(key)) is not None:
                    del self._deferred[key]
                    await self._send_start(key, sent)
                    return
                wait = max(self.typing_throttle.wait(key), 0.01)

        task = asyncio.get_running_loop().create_task(later(), name='typing later')
        self._deferred[key] = task

    async def presence_of(self, *, actor_id: int, user_ids: Iterable[int]) -> dict[int, PresenceInfo]:
        """The presence of those of ``user_ids`` the actor may see (friends and fellow group members, both showing
        their presence): online from the store, last seen from the database. Others are left out. Never raises:
        on a failure it logs and returns what it can (nothing, or everyone offline but those held here)."""
        wanted = list(user_ids)
        if not wanted:
            return {}
        try:
            last_seen = await self._run(presence.visible_presence, actor_id=actor_id, user_ids=wanted)
        except Exception as error:
            log.warning('presence not read (%s)', error)
            return {}
        try:
            online = await self.store.online(last_seen) if last_seen else set()
        except Exception as error:
            log.warning('presence store not reachable (%s); showing only the people this process holds', error)
            online = {user_id for user_id in last_seen if self.presence.holds(user_id)}
        return {user_id: PresenceInfo(user_id=user_id, online=user_id in online,
                                      last_seen_at=None if user_id in online else seen)
                for user_id, seen in last_seen.items()}

    async def privacy_changed(self, *, actor_id: int) -> None:
        """The actor just changed ``show_presence`` (``services.privacy.set_privacy``): tell their friends and fellow
        group members who show theirs at once. Shown again: whether they are online (or when last seen); hidden:
        offline with no last seen time, the most a ``PresenceChanged`` can say. The actor's own views re-ask
        ``presence_of`` (hiding theirs hides everyone's from them). Never raises."""
        try:
            shows, audience, last_seen = await self._run(presence.visibility, user_id=actor_id)
            online = shows and bool(await self.store.online([actor_id]))
        except Exception as error:
            log.warning('presence privacy change of user %d not announced (%s)', actor_id, error)
            return
        if audience:
            await self.publish(PresenceChanged(recipients=tuple(audience), user_id=actor_id, online=online,
                                               last_seen_at=last_seen if shows and not online else None))

    async def publish(self, event: Typing | PresenceChanged) -> bool:
        """The ephemeral path itself: publish once, no transaction, no retry; a failure is logged and dropped.
        Returns whether the broker took it."""
        try:
            await self._broker.publish(event)
        except Exception as error:
            level = logging.DEBUG if isinstance(event, Typing) else logging.WARNING  # typing is frequent and fades
            log.log(level, 'dropped a %s signal: the broker failed (%s)', type(event).__name__, error)
            return False
        return True

    async def _announce(self, user_id: int, online: bool) -> None:
        """A real transition for everyone (the store said so): store the last seen time when offline, and tell the
        audience (``services.presence``)."""
        try:
            if online:
                at = None
                audience = await self._run(presence.presence_audience, user_id=user_id)
            else:
                at = utcnow()
                audience = await self._run(presence.record_offline, user_id=user_id, at=at)
                if await self.store.online([user_id]):
                    return  # back meanwhile through another process, which announced that
        except Exception as error:
            log.warning('presence change of user %d not announced (%s)', user_id, error)
            return
        if audience:
            await self.publish(PresenceChanged(recipients=tuple(audience), user_id=user_id, online=online,
                                               last_seen_at=at))


@dataclass
class SentTyping:
    """An active typing signal that went out (or was refused: then ``audience`` is empty)."""

    at: float
    name: str = ''
    audience: tuple[int, ...] = field(default_factory=tuple)


class TypingThrottle:
    """Which typing signals may go out, per (typist, conversation); pure, so it is tested alone. Entries older than
    ``fade`` are forgotten (receivers have faded them), so the map stays as small as the number of typists."""

    def __init__(self, *, interval: float = TYPING_INTERVAL, fade: float = TYPING_FADE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.fade = fade
        self._clock = clock
        self._sent: OrderedDict[tuple[int, int], SentTyping] = OrderedDict()  # oldest first

    def start(self, key: tuple[int, int]) -> SentTyping | None:
        """Reserve an active signal for ``key`` (the caller fills in name and audience), or ``None`` when one went
        out less than ``interval`` ago. Reserved at once, so two concurrent calls cannot both pass."""
        now = self._clock()
        while self._sent and now - next(iter(self._sent.values())).at >= self.fade:
            self._sent.popitem(last=False)
        previous = self._sent.get(key)
        if previous is not None and now - previous.at < self.interval:
            return None
        sent = self._sent[key] = SentTyping(at=now)
        self._sent.move_to_end(key)
        return sent

    def wait(self, key: tuple[int, int]) -> float:
        """Seconds until ``start`` lets an active signal for ``key`` through (0 when it would now)."""
        previous = self._sent.get(key)
        if previous is None:
            return 0.0
        return max(0.0, self.interval - (self._clock() - previous.at))

    def stop(self, key: tuple[int, int]) -> SentTyping | None:
        """The active signal to clear for ``key``, if one went out and was neither cleared nor faded yet. Its time
        is kept: the next active signal still waits for the interval, whatever stopped in between."""
        sent = self._sent.get(key)
        if sent is None or not sent.audience or self._clock() - sent.at >= self.fade:
            return None
        cleared = SentTyping(at=sent.at, name=sent.name, audience=sent.audience)
        sent.audience = ()
        return cleared

    def __len__(self) -> int:
        return len(self._sent)
