"""The Redis broker against a real server: brokers stand for processes; each test has a channel of its own."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from types import TracebackType
from urllib.parse import urlsplit

import pytest
import redis.asyncio
from redis.exceptions import RedisError

from chatapp.broker import redis as redis_broker
from chatapp.broker.redis import RedisBroker
from tests.broker.conftest import Recorder, ResyncCounter, message

MakeBroker = Callable[..., RedisBroker]


async def subscribers(admin: redis.asyncio.Redis, broker: RedisBroker) -> int:
    """How many connections the server has subscribed to ``broker``'s channel (its process's own)."""
    counts = await admin.pubsub_numsub(broker.channel)
    return int(counts[0][1])


async def kill_listener(admin: redis.asyncio.Redis, broker: RedisBroker) -> None:
    """Close ``broker``'s pub/sub connection from the server side, as a Redis restart or a network cut would."""
    ids = [client['id'] for client in await admin.client_list() if client['name'] == broker.listener_name]
    assert len(ids) == 1
    await admin.client_kill_filter(_id=ids[0])


async def test_an_event_reaches_every_process_once_and_in_order(make_broker: MakeBroker,
                                                                 admin: redis.asyncio.Redis) -> None:
    a, b = make_broker(), make_broker()
    heard_on_a, also_on_a, heard_on_b = Recorder(), Recorder(), Recorder()
    a.subscribe(heard_on_a)
    a.subscribe(also_on_a)
    b.subscribe(heard_on_b)
    await a.start()
    await b.start()
    await a.hold(1)
    await b.hold(2)  # each holds a recipient of every event
    assert (await subscribers(admin, a), await subscribers(admin, b)) == (1, 1)

    for n in range(200):
        await a.publish(message(n))
    # One connection per process delivers in order, so a duplicate would show up before the last event.
    expected = [message(n) for n in range(200)]
    for recorder in (heard_on_a, also_on_a, heard_on_b):
        assert await recorder.wait_for(200) == expected


async def test_prefixes_are_isolated(make_broker: MakeBroker) -> None:
    ours, theirs = make_broker(), make_broker(prefix=f'chatapp-test-{uuid.uuid4().hex}')
    heard_by_us, heard_by_them = Recorder(), Recorder()
    ours.subscribe(heard_by_us)
    theirs.subscribe(heard_by_them)
    await ours.start()
    await theirs.start()
    await ours.hold(1)
    await theirs.hold(1)

    await theirs.publish(message(1))
    await ours.publish(message(2))
    # Their event went out first: had it crossed over, it would come before ours.
    assert await heard_by_us.wait_for(1) == [message(2)]
    assert await heard_by_them.wait_for(1) == [message(1)]


async def test_starting_twice_keeps_one_listener(make_broker: MakeBroker, admin: redis.asyncio.Redis) -> None:
    broker = make_broker()
    recorder = Recorder()
    broker.subscribe(recorder)
    await broker.start()
    await broker.start()
    await asyncio.gather(broker.start(), broker.start())
    assert await subscribers(admin, broker) == 1
    await broker.hold(1)
    await broker.publish(message(1))
    assert await recorder.wait_for(1) == [message(1)]


async def test_a_malformed_payload_is_skipped(make_broker: MakeBroker, admin: redis.asyncio.Redis,
                                             caplog: pytest.LogCaptureFixture) -> None:
    broker = make_broker()
    recorder = Recorder()
    broker.subscribe(recorder)
    await broker.start()
    await broker.hold(1)

    for payload in (b'not json', b'{"kind": "unknown", "recipients": [1]}', b'\xff\xfe'):
        await admin.publish(broker.channel, payload)
    await broker.publish(message(1))
    assert await recorder.wait_for(1) == [message(1)]
    assert sum('skipped a malformed event' in r.message for r in caplog.records) == 3


async def test_after_losing_its_connection_it_resubscribes_and_asks_for_a_resync(
        make_broker: MakeBroker, admin: redis.asyncio.Redis, caplog: pytest.LogCaptureFixture) -> None:
    a, b = make_broker(), make_broker()
    heard_on_a, heard_on_b = Recorder(), Recorder()
    resyncs_on_a, resyncs_on_b = ResyncCounter(), ResyncCounter()
    a.subscribe(heard_on_a)
    a.on_resync(resyncs_on_a)
    b.subscribe(heard_on_b)
    b.on_resync(resyncs_on_b)
    await a.start()
    await b.start()
    await a.hold(1)
    await b.hold(1)
    await a.publish(message(0))
    assert await heard_on_a.wait_for(1) == [message(0)]
    assert resyncs_on_a.calls == 0  # the first subscription is no gap

    for loss in (1, 2):
        await kill_listener(admin, a)
        await resyncs_on_a.wait_for(loss)
        await b.publish(message(loss))
        assert await heard_on_a.wait_for(loss + 1) == [message(n) for n in range(loss + 1)]

    assert await heard_on_b.wait_for(3) == [message(0), message(1), message(2)]
    assert (resyncs_on_a.calls, resyncs_on_b.calls) == (2, 0)
    assert resyncs_on_a.named == [None, None]  # everyone's views in that process
    assert (await subscribers(admin, a), await subscribers(admin, b)) == (1, 1)
    assert sum('subscription to' in r.message and r.levelname == 'WARNING' for r in caplog.records) == 2


async def test_a_connection_gone_silent_is_noticed(make_broker: MakeBroker, redis_url: str, prefix: str,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(redis_broker, 'HEARTBEAT', 0.1)
    async with Relay(redis_url) as relay:
        behind_relay, sender = RedisBroker(relay.url, prefix=prefix), make_broker()
        recorder, resyncs = Recorder(), ResyncCounter()
        behind_relay.subscribe(recorder)
        behind_relay.on_resync(resyncs)
        try:
            await behind_relay.start()
            await behind_relay.hold(1)
            relay.freeze()  # no FIN, no RST: only the unanswered ping tells
            await resyncs.wait_for(1)
            await sender.publish(message(1))
            assert await recorder.wait_for(1) == [message(1)]
        finally:
            await behind_relay.stop()
    assert any('no answer to a ping' in record.message for record in caplog.records)


async def test_stop_is_idempotent_and_unsubscribes(make_broker: MakeBroker, admin: redis.asyncio.Redis) -> None:
    broker = make_broker()
    await broker.stop()
    await broker.start()
    await broker.stop()
    await broker.stop()
    assert await subscribers(admin, broker) == 0
    assert not [task for task in asyncio.all_tasks() if task.get_name() == 'chatapp-redis-broker']

    recorder = Recorder()
    broker.subscribe(recorder)
    await broker.start()
    await broker.hold(1)
    await broker.publish(message(1))
    assert await recorder.wait_for(1) == [message(1)]


async def test_an_unreachable_server_fails_start_and_publish(prefix: str) -> None:
    broker = RedisBroker('redis://127.0.0.1:1/0', prefix=prefix, start_timeout=0.5)
    with pytest.raises(ConnectionError, match='could not subscribe'):
        await broker.start()
    assert not [task for task in asyncio.all_tasks() if task.get_name() == 'chatapp-redis-broker']
    with pytest.raises(RedisError):
        await broker.publish(message(1))
    await broker.stop()


class Relay:
    """A TCP relay to the test's Redis whose open connections can go silent, as behind a cut network cable, while new
    connections still get through."""

    def __init__(self, redis_url: str) -> None:
        self._parts = urlsplit(redis_url)
        self._frozen: list[asyncio.Event] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ''

    async def __aenter__(self) -> Relay:
        self._server = await asyncio.start_server(self._relay, '127.0.0.1', 0)
        port = self._server.sockets[0].getsockname()[1]
        credentials = self._parts.netloc.rpartition('@')[0]
        netloc = f'{credentials}@127.0.0.1:{port}' if credentials else f'127.0.0.1:{port}'
        self.url = self._parts._replace(netloc=netloc).geturl()
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def freeze(self) -> None:
        """Stop passing bytes on every connection open now, without closing any."""
        for frozen in self._frozen:
            frozen.set()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(self._parts.hostname, self._parts.port or 6379)
        frozen = asyncio.Event()
        self._frozen.append(frozen)
        for source, sink in ((client_reader, upstream_writer), (upstream_reader, client_writer)):
            task = asyncio.create_task(self._pipe(source, sink, frozen))
            self._tasks.add(task)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, frozen: asyncio.Event) -> None:
        try:
            while data := await source.read(65536):
                if not frozen.is_set():
                    sink.write(data)
                    await sink.drain()
        finally:
            sink.close()
            with contextlib.suppress(Exception):
                await sink.wait_closed()
