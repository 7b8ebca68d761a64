"""The broker for several processes: Redis pub/sub, one channel per process, ``{prefix}:proc:{process}``.

An event goes only to the processes that hold one of its recipients (``chatapp.broker.routes``): one script call
looks up their routes and publishes to each, so a process never decodes events for people it does not show.
Pub/sub keeps nothing for a subscriber that is away, so the listener owns its reconnection (redis-py's silent
retry is switched off): it then knows when a gap happened, restores its routes and asks the views to catch up from
the database. A route lost without a broken connection is found by the routes' renewal, which resyncs its people.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from chatapp.broker.base import Broker
from chatapp.broker.routes import ROUTE_PUBLISH, Routes
from chatapp.events import Event, decode, encode

log = logging.getLogger(__name__)

SOCKET_TIMEOUT = 5.0
"""Seconds to connect or to answer a command, so that a dead server fails a call instead of hanging it."""
HEARTBEAT = 5.0
"""Seconds of silence after which the listener pings; a second silent period means the connection is dead (TCP
alone can take minutes to notice a vanished peer)."""
BACKOFF_MIN, BACKOFF_MAX = 0.1, 2.0
"""Seconds between reconnection attempts, doubling from the first to the second."""
ROUTE_TTL = 30.0
"""Seconds a route lives without renewal (renewed every third of it): how long a dead process keeps receiving."""


class RedisBroker(Broker):
    """Publishes on a pooled connection and listens on a dedicated pub/sub connection with one task per process."""

    def __init__(self, url: str, *, prefix: str = 'chatapp', start_timeout: float = 10.0,
                 route_ttl: float = ROUTE_TTL) -> None:
        super().__init__()
        self.process = uuid.uuid4().hex[:16]
        self._channels = f'{prefix}:proc:'
        self.channel = f'{self._channels}{self.process}'
        """This process's own channel: only events naming someone it holds arrive here."""
        self.listener_name = f'{prefix}:listener:{uuid.uuid4().hex[:12]}'
        """The pub/sub connection's ``CLIENT SETNAME``, to find this process's listener in ``CLIENT LIST``."""
        self._start_timeout = start_timeout
        # No I/O here: both clients connect lazily, in the event loop that first uses them.
        self._publisher = Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT,
                                         client_name=f'{prefix}:publisher',
                                         # One immediate retry replaces a pooled connection that died while idle;
                                         # timeouts are not retried, as the event may already have gone out.
                                         retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
        self._subscriber = Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT,
                                          client_name=self.listener_name, retry=Retry(NoBackoff(), 0))
        self._route_publish = self._publisher.register_script(ROUTE_PUBLISH)
        self.routes = Routes(self._publisher, prefix=prefix, process=self.process, ttl=route_ttl, lost=self._resync)
        self._subscribed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the listener unless it runs, and return once it is subscribed, so that an event published next is
        heard; raise ``ConnectionError`` if that takes longer than ``start_timeout``."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name='chatapp-redis-broker')
        await self.routes.start()
        try:
            await asyncio.wait_for(self._subscribed.wait(), self._start_timeout)
        except TimeoutError:
            await self.stop()
            raise ConnectionError(f'could not subscribe to Redis channel {self.channel!r}') from None

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            # Python 3.11's asyncio.wait_for can swallow a cancellation that lands inside redis-py's connection
            # handshake, and the listener then runs on: cancel until it has really stopped.
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=0.1)
            if not task.cancelled():
                task.exception()  # retrieved, so asyncio does not report it as never retrieved
        await self.routes.stop()
        self._subscribed = asyncio.Event()
        await self._publisher.aclose()
        await self._subscriber.aclose()

    async def publish(self, event: Event) -> None:
        """Send ``event`` to the processes holding its recipients, in one round trip. Raises
        ``redis.exceptions.RedisError`` when Redis cannot be reached."""
        recipients = sorted(set(event.recipients))
        if recipients:
            await self._route_publish(keys=[self.routes.key(user_id) for user_id in recipients],
                                      args=[encode(event), self._channels])

    async def hold(self, user_id: int) -> None:
        await self.routes.hold(user_id)

    def release(self, user_id: int) -> None:
        self.routes.release(user_id)

    async def _listen(self) -> None:
        """Subscribe, read until the connection fails, back off and do it again, for ever."""
        delay = BACKOFF_MIN
        while True:
            try:
                async with self._subscriber.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    await _confirmed(pubsub)
                    delay = BACKOFF_MIN
                    resubscribed = self._subscribed.is_set()
                    self._subscribed.set()
                    if resubscribed:
                        log.info('subscribed to %s again; resynchronising views', self.channel)
                        await self._restore_routes()
                        await self._resync()
                    await self._read(pubsub)
            except (RedisError, OSError) as error:
                log.warning('Redis subscription to %s lost (%s); retrying in %.1f s', self.channel, error, delay)
            except Exception:
                log.exception('Redis listener on %s failed; retrying in %.1f s', self.channel, delay)
            await asyncio.sleep(delay)
            delay = min(2 * delay, BACKOFF_MAX)

    async def _restore_routes(self) -> None:
        """Before the views read: Redis may have restarted empty, and a view reading before its route is back could
        miss what follows. A failure here is retried by the routes' renewal, which then resyncs those people."""
        try:
            # Idle pooled connections went through the same cut as the listener's: a dead one would hold this (and
            # the next publish) for a whole socket timeout, so start afresh.
            await self._publisher.connection_pool.disconnect(inuse_connections=False)
            await self.routes.renew()
        except (RedisError, OSError) as error:
            log.warning('routes not restored after reconnecting (%s)', error)

    async def _read(self, pubsub: PubSub) -> None:
        """Deliver messages until the connection fails or stays silent through a ping."""
        pinged = False
        while True:
            message = await pubsub.get_message(timeout=HEARTBEAT)
            if message is None:
                if pinged:
                    raise RedisConnectionError(f'no answer to a ping within {HEARTBEAT} s')
                await pubsub.ping()
                pinged = True
                continue
            pinged = False
            if message['type'] == 'message':
                await self._receive(message['data'])

    async def _receive(self, data: bytes) -> None:
        try:
            event = decode(data)
        except ValueError:
            # The payload is not logged: it may hold someone's private message.
            log.warning('skipped a malformed event (%d bytes) on %s', len(data), self.channel)
            return
        await self._deliver(event)


async def _confirmed(pubsub: PubSub) -> None:
    """Wait for the server's answer to SUBSCRIBE: only from then on is a published event heard."""
    message = await pubsub.get_message(timeout=SOCKET_TIMEOUT)
    if message is None or message['type'] != 'subscribe':
        raise RedisConnectionError(f'SUBSCRIBE was not confirmed (got {message!r})')
