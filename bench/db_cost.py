"""``python -m bench.db_cost``: what PostgreSQL spends on one stored message and one read position moved.

Runs the app's own services (``send_message``, ``mark_read``) one after another on a fresh database of a
PostgreSQL server, and reads the CPU of the server processes that serve this database (``/proc/<pid>/stat`` of
the backends in ``pg_stat_activity``; the server must run on this machine) and the WAL written
(``pg_current_wal_lsn``). The app's own CPU per call is printed beside it. Background writers, shared with whatever
else uses the server, are not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench import seed
from bench.server import random_secret
from chatapp.services import conversations, reads
from chatapp.services.tx import ServiceRunner
from chatapp.services.users import find_by_username
from chatapp.settings import Settings

DATABASE = 'chatapp_bench_dbcost'
TICK = os.sysconf('SC_CLK_TCK')


def backend_cpu(engine: Engine) -> float:
    """Seconds of CPU of every server process connected to this database."""
    with engine.connect() as connection:
        pids = connection.execute(text('SELECT pid FROM pg_stat_activity WHERE datname = current_database()'))
        total = 0
        for (pid,) in pids:
            fields = Path(f'/proc/{pid}/stat').read_text().rpartition(')')[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the file)
    return total / TICK


def wal_bytes(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")).scalar_one())


def measure(runner: ServiceRunner, calls: Sequence[tuple[Callable[..., object], dict[str, Any]]]) -> dict[str, float]:
    engine = runner.engine
    pg_before, wal_before, app_before = backend_cpu(engine), wal_bytes(engine), time.process_time()
    for function, kwargs in calls:
        runner.run_sync(function, **kwargs)
    app_cpu = time.process_time() - app_before
    pg_cpu, wal = backend_cpu(engine) - pg_before, wal_bytes(engine) - wal_before
    count = len(calls)
    return {'calls': count, 'postgres_cpu_us_per_call': round(1e6 * pg_cpu / count, 1),
            'app_cpu_us_per_call': round(1e6 * app_cpu / count, 1), 'wal_bytes_per_call': round(wal / count)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m bench.db_cost', description=__doc__)
    parser.add_argument('--postgres-url', default='postgresql://postgres@127.0.0.1:5432/postgres')
    parser.add_argument('--messages', type=int, default=3000)
    parser.add_argument('--pairs', type=int, default=50)
    args = parser.parse_args(argv)
    print(json.dumps({'load_average_1min': os.getloadavg()[0]}), flush=True)
    folder = tempfile.TemporaryDirectory()
    settings = Settings(data_dir=Path(folder.name), secret=random_secret(), redis_url=None,
                        database_url=seed.fresh_postgres(args.postgres_url, DATABASE),
                        argon2_memory_kib=1024, argon2_time_cost=1)  # sign-ups are set-up, not measured
    runner = seed.services(settings)
    try:
        pairs = seed.make_pairs(runner, args.pairs)
        ids = {name: user_id(runner, name) for pair in pairs for name in (pair.a, pair.b)}
        chats = []
        for pair in pairs:
            info, _ = runner.run_sync(conversations.open_direct, actor_id=ids[pair.a], peer_username=pair.b)
            chats.append((ids[pair.a], ids[pair.b], info.conversation_id))
        sends = [(conversations.send_message, {'actor_id': a, 'conversation_id': c, 'body': seed_body(n)})
                 for n in range(args.messages) for a, _, c in [chats[n % len(chats)]]]
        print(json.dumps({'call': 'send_message', **measure(runner, sends)}), flush=True)
        marks = [(reads.mark_read, {'actor_id': b, 'conversation_id': c, 'seq': n // len(chats) + 1})
                 for n in range(args.messages) for _, b, c in [chats[n % len(chats)]]]
        print(json.dumps({'call': 'mark_read', **measure(runner, marks)}), flush=True)
    finally:
        runner.shutdown()
        runner.engine.dispose()
        seed.drop_postgres(args.postgres_url, DATABASE)
        folder.cleanup()
    print(json.dumps({'load_average_1min': os.getloadavg()[0]}), flush=True)
    return 0


def user_id(runner: ServiceRunner, username: str) -> int:
    user, _ = runner.run_sync(lambda tx: find_by_username(tx.session, username))
    assert user is not None and user.id is not None
    return int(user.id)


def seed_body(n: int) -> str:
    return f'See you at the station at seven, and bring the tickets please. #{n}'


if __name__ == '__main__':
    raise SystemExit(main())
