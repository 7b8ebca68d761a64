"""``python -m bench.routing``: what an event that concerns nobody in a process costs that process, before and after
routing, with 4 broker processes on a real Redis.

Each worker process runs the app's Redis broker and hub (``chatapp.broker.redis``, ``chatapp.realtime``; no pages)
and holds its own people. This process publishes synthetic direct messages and reads, from every worker, the CPU it
spent (``time.process_time``) and the events that reached it, and from Redis its own CPU (``INFO cpu``, with the
network) and the time it spent in the publishing command (``INFO commandstats``). Two modes:

- ``broadcast``: the broker before routing (one channel, ``{prefix}:events``, heard by every process);
- ``routed``: today's broker (route lookup and per-process channels in one script call).

Phases: ``idle`` (nothing published: the baseline), ``elsewhere`` (every event is a message between two people held
by worker 0, so for workers 1-3 every event is irrelevant), ``uniform`` (between two people picked at random among
all workers' people) and ``group`` (100 recipients picked at random). Redis is a private ``redis-server`` started on a
free port unless ``--redis-url`` is given, so that its CPU is this benchmark's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import redis.asyncio

from chatapp.broker.redis import RedisBroker
from chatapp.events import Event, MessagePosted, encode
from chatapp.realtime import Hub
from chatapp.schemas import MessageData

BODY = 'See you at the station at seven, and bring the tickets please.'  # 62 characters, a typical message
GROUP = 100
"""Recipients of a ``group`` event."""


class BroadcastBroker(RedisBroker):
    """The broker as it was before routing: every event on one channel that every process hears."""

    def __init__(self, url: str, *, prefix: str) -> None:
        super().__init__(url, prefix=prefix)
        self.channel = f'{prefix}:events'

    async def publish(self, event: Event) -> None:
        await self._publisher.publish(self.channel, encode(event))

    async def hold(self, user_id: int) -> None:
        """Every process hears everything: nothing to route."""

    def release(self, user_id: int) -> None:
        """Every process hears everything: nothing to route."""


def make(mode: str, url: str, prefix: str) -> RedisBroker:
    return BroadcastBroker(url, prefix=prefix) if mode == 'broadcast' else RedisBroker(url, prefix=prefix)


def event(n: int, recipients: Sequence[int]) -> MessagePosted:
    data = MessageData(id=n, conversation_id=recipients[0], seq=n, sender_id=recipients[0], body=BODY,
                       created_at=datetime.now(UTC))
    return MessagePosted(recipients=tuple(recipients), message=data)


# The worker: one process of the app, as far as delivery goes.

async def worker(mode: str, url: str, prefix: str, users: list[int]) -> None:
    broker = make(mode, url, prefix)
    hub = Hub(broker)  # no views: an event for nobody here costs exactly what the hub does with it
    received = 0

    async def count(event: Event) -> None:
        nonlocal received
        received += 1

    broker.subscribe(count)
    await broker.start()
    for user_id in users:
        await broker.hold(user_id)
    assert hub.view_count() == 0
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print(json.dumps({'ready': True}), flush=True)
    while line := await reader.readline():
        if line.strip() == b'mark':
            print(json.dumps({'cpu': time.process_time(), 'received': received}), flush=True)
    await broker.stop()


# The driver.

@dataclass
class Worker:
    process: asyncio.subprocess.Process
    users: list[int]

    async def mark(self) -> dict[str, float]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(b'mark\n')
        await self.process.stdin.drain()
        return dict(json.loads(await self.process.stdout.readline()))


async def run_mode(mode: str, url: str, *, processes: int, users_per_process: int, events: int, rate: float,
                   seed: int) -> dict[str, dict[str, float]]:
    prefix = f'bench-routing-{uuid.uuid4().hex[:8]}'
    workers: list[Worker] = []
    for number in range(processes):
        users = list(range(number * users_per_process + 1, (number + 1) * users_per_process + 1))
        process = await asyncio.create_subprocess_exec(
            sys.executable, '-m', 'bench.routing', '--worker', mode, '--redis-url', url, '--prefix', prefix,
            '--users', f'{users[0]}-{users[-1]}', stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'})
        assert process.stdout is not None
        assert json.loads(await process.stdout.readline()) == {'ready': True}
        workers.append(Worker(process, users))
    publisher = make(mode, url, prefix)
    admin = redis.asyncio.Redis.from_url(url)
    rng = random.Random(seed)
    everyone = [user for w in workers for user in w.users]
    owner = {user: index for index, w in enumerate(workers) for user in w.users}
    results: dict[str, dict[str, float]] = {}
    try:
        plans = {
            'elsewhere': [rng.sample(workers[0].users, 2) for _ in range(events)],
            'uniform': [rng.sample(everyone, 2) for _ in range(events)],
            'group': [rng.sample(everyone, GROUP) for _ in range(max(1, events // 10))],
        }
        results['idle'] = await idle(workers, seconds=5.0)
        warmup = [rng.sample(everyone, 2) for _ in range(max(1, events // 10))]  # first decodes, caches: not counted
        await measure(publisher, admin, workers, warmup, reaching(mode, warmup, owner, processes), rate)
        for phase, plan in plans.items():
            results[phase] = await measure(publisher, admin, workers, plan, reaching(mode, plan, owner, processes),
                                           rate)
    finally:
        await publisher.stop()
        await admin.aclose()
        for w in workers:
            assert w.process.stdin is not None
            w.process.stdin.close()
        for w in workers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(w.process.wait(), 10)
            if w.process.returncode is None:
                w.process.kill()
    return results


def reaching(mode: str, plan: list[list[int]], owner: dict[int, int], processes: int) -> list[int]:
    """How many of ``plan``'s events each worker must receive: all of them, or those naming someone it holds."""
    if mode == 'broadcast':
        return [len(plan)] * processes
    return [sum(1 for recipients in plan if any(owner[user] == index for user in recipients))
            for index in range(processes)]


async def idle(workers: list[Worker], seconds: float) -> dict[str, float]:
    before = [await w.mark() for w in workers]
    await asyncio.sleep(seconds)
    after = [await w.mark() for w in workers]
    per_s = [(a['cpu'] - b['cpu']) / seconds for a, b in zip(after, before, strict=True)]
    return {'seconds': seconds, 'worker_cpu_ms_per_s': round(1000 * max(per_s), 3)}


async def measure(publisher: RedisBroker, admin: redis.asyncio.Redis, workers: list[Worker],
                  plan: list[list[int]], expected: list[int], rate: float) -> dict[str, float]:
    before = [await w.mark() for w in workers]
    command = 'publish' if isinstance(publisher, BroadcastBroker) else 'evalsha'
    redis_before, commands_before = await redis_cpu(admin), await redis_command_time(admin, command)
    started, cpu_started = time.monotonic(), time.process_time()
    for n, recipients in enumerate(plan):
        await publisher.publish(event(n, recipients))
        if (ahead := started + (n + 1) / rate - time.monotonic()) > 0:
            await asyncio.sleep(ahead)
    publish_cpu = time.process_time() - cpu_started
    after = [await w.mark() for w in workers]
    deadline = time.monotonic() + 120
    while any(a['received'] - b['received'] < e for a, b, e in zip(after, before, expected, strict=True)):
        if time.monotonic() > deadline:
            raise RuntimeError(f'events missing: expected {expected}, got '
                               f'{[a["received"] - b["received"] for a, b in zip(after, before, strict=True)]}')
        await asyncio.sleep(0.2)
        after = [await w.mark() for w in workers]
    seconds = time.monotonic() - started
    redis_after, commands_after = await redis_cpu(admin), await redis_command_time(admin, command)
    cpu = [a['cpu'] - b['cpu'] for a, b in zip(after, before, strict=True)]
    received = [int(a['received'] - b['received']) for a, b in zip(after, before, strict=True)]
    events = len(plan)
    out: dict[str, float] = {'events': events, 'seconds': round(seconds, 2)}
    for index, (spent, got) in enumerate(zip(cpu, received, strict=True)):
        out[f'w{index}_received'] = got
        out[f'w{index}_cpu_ms'] = round(1000 * spent, 1)
    out['worker_cpu_us_per_event'] = round(1e6 * sum(cpu) / len(cpu) / events, 1)
    out['publisher_cpu_us_per_event'] = round(1e6 * publish_cpu / events, 1)
    out['redis_cpu_us_per_event'] = round(1e6 * (redis_after - redis_before) / events, 1)
    out['redis_command_us_per_event'] = round((commands_after - commands_before) / events, 1)
    return out


async def redis_cpu(admin: redis.asyncio.Redis) -> float:
    info = await admin.info('cpu')
    return float(info['used_cpu_sys']) + float(info['used_cpu_user'])


async def redis_command_time(admin: redis.asyncio.Redis, command: str) -> float:
    """Microseconds Redis spent executing ``command`` (``INFO commandstats``; a script's time includes the commands
    it calls, which are also counted under their own names): its time without the network's."""
    stats = await admin.info('commandstats')
    return float(stats.get(f'cmdstat_{command}', {}).get('usec', 0))


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """A ``redis-server`` of this benchmark's own on a free port, without persistence or pub/sub buffer limits."""
    binary = shutil.which('redis-server')
    if binary is None:
        raise SystemExit('redis-server not found: pass --redis-url')
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen([binary, '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                                   '--appendonly', 'no', '--dir', folder, '--client-output-buffer-limit',
                                   'pubsub 0 0 0'], stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                with contextlib.suppress(OSError), socket.create_connection(('127.0.0.1', port), timeout=0.2):
                    break
                if time.monotonic() > deadline:
                    raise SystemExit('redis-server did not start')
                time.sleep(0.05)
            yield f'redis://127.0.0.1:{port}/0'
        finally:
            server.terminate()
            server.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m bench.routing', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--redis-url', help='use this Redis instead of a private redis-server')
    parser.add_argument('--processes', type=int, default=4)
    parser.add_argument('--users', default='250', help='people per process (a worker: the range it holds, a-b)')
    parser.add_argument('--events', type=int, default=20_000, help='events per phase (group: a tenth)')
    parser.add_argument('--rate', type=float, default=2_000, help='events a second offered')
    parser.add_argument('--modes', default='broadcast,routed')
    parser.add_argument('--seed', type=int, default=9)
    parser.add_argument('--worker', choices=['broadcast', 'routed'], help=argparse.SUPPRESS)
    parser.add_argument('--prefix', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        first, _, last = args.users.partition('-')
        asyncio.run(worker(args.worker, args.redis_url, args.prefix, list(range(int(first), int(last) + 1))))
        return 0
    print(json.dumps({'load_average_1min': os.getloadavg()[0], 'cores': os.cpu_count()}), flush=True)
    with contextlib.ExitStack() as stack:
        url = args.redis_url or stack.enter_context(private_redis())
        for mode in args.modes.split(','):
            results = asyncio.run(run_mode(mode, url, processes=args.processes, users_per_process=int(args.users),
                                           events=args.events, rate=args.rate, seed=args.seed))
            for phase, figures in results.items():
                print(json.dumps({'mode': mode, 'phase': phase, **figures}), flush=True)
    print(json.dumps({'load_average_1min': os.getloadavg()[0]}), flush=True)
    return 0


if __name__ in {'__main__', '__mp_main__'}:
    sys.exit(main())
