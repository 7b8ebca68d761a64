"""Where service functions run: on SQLite every function that writes runs on the one writer thread (writes take
turns there anyway, and a hand-over between threads cost more than the writes, docs/benchmarks.md), readers on the
shared threads; on PostgreSQL, where writers do not exclude each other, everything runs on the shared threads."""

from __future__ import annotations

import asyncio
import threading

from chatapp.services.tx import ServiceRunner, Tx, reads_only


def writer(tx: Tx) -> str:
    tx.session.connection()  # begins the transaction: on SQLite, with the write turn
    return threading.current_thread().name


@reads_only
def reader(tx: Tx) -> str:
    tx.session.connection()
    return threading.current_thread().name


async def test_writers_share_one_thread_on_sqlite_only(services: ServiceRunner) -> None:
    sqlite = services.engine.dialect.name == 'sqlite'
    writers = set(await asyncio.gather(*(services(writer) for _ in range(20))))
    readers = set(await asyncio.gather(*(services(reader) for _ in range(20))))
    assert all(name.startswith('chatapp-service') for name in readers)
    if sqlite:
        assert len(writers) == 1 and writers.pop().startswith('chatapp-writer')
    else:
        assert all(name.startswith('chatapp-service') for name in writers)


async def test_readers_are_not_held_up_by_a_slow_write_on_sqlite(services: ServiceRunner) -> None:
    release = threading.Event()

    def slow_writer(tx: Tx) -> None:
        tx.session.connection()
        release.wait(10)

    slow = asyncio.ensure_future(services(slow_writer))
    await asyncio.sleep(0.1)
    try:
        assert (await asyncio.wait_for(services(reader), 2)).startswith('chatapp-service')
        assert not slow.done()
    finally:
        release.set()
        await slow
