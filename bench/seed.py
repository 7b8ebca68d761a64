"""Accounts, friendships and history made up front through the real services, before the app starts, so that a
scenario's time goes to what it measures. Only the 100,000-message history is written in bulk: sending it through
the service one message at a time would take minutes and measure nothing the scenarios do not measure already."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import create_engine, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlmodel import col

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.clock import utcnow
from chatapp.services import accounts, conversations, friendships
from chatapp.services.tx import ServiceRunner
from chatapp.services.users import find_by_username
from chatapp.settings import Settings
from models import Conversation, Message

PASSWORD = 'bench mark password 42'
BENCH_DATABASE = 'chatapp_bench'
_IDENTIFIER = re.compile(r'[a-z_][a-z0-9_]{0,62}')


@dataclass(frozen=True)
class Pair:
    """Two friends who chat with each other."""

    a: str
    b: str


def fresh_postgres(server_url: str, name: str = BENCH_DATABASE) -> str:
    """An empty database ``name`` on the PostgreSQL server at ``server_url`` (made anew); its URL."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f'not a plain database name: {name!r}')
    server = make_url(server_url).set(drivername='postgresql+psycopg')
    admin = create_engine(server, isolation_level='AUTOCOMMIT')
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE {name}'))
    finally:
        admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def services(settings: Settings) -> ServiceRunner:
    """The service layer on the app's database (migrated here, before the app starts)."""
    return make_runner(settings, MemoryBroker())


def make_pairs(runner: ServiceRunner, count: int, prefix: str = 'p') -> list[Pair]:
    """``count`` pairs of friends, ``<prefix>0a`` and ``<prefix>0b`` and so on. Sign-ups hash their passwords with
    the app's real cost, two at a time (argon2 leaves the GIL, so both cores work)."""
    pairs = [Pair(f'{prefix}{i}a', f'{prefix}{i}b') for i in range(count)]
    names = [name for pair in pairs for name in (pair.a, pair.b)]
    with ThreadPoolExecutor(2) as pool:
        users = dict(zip(names, pool.map(lambda name: _signup(runner, name), names), strict=True))
    for pair in pairs:
        runner.run_sync(friendships.send_request, actor_id=users[pair.a], target_id=users[pair.b])
        runner.run_sync(friendships.accept_request, actor_id=users[pair.b], requester_id=users[pair.a])
    return pairs


def make_users(runner: ServiceRunner, names: list[str]) -> None:
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda name: _signup(runner, name), names))


def make_history(runner: ServiceRunner, pair: Pair, count: int, batch: int = 5_000) -> int:
    """``count`` messages between ``pair``, alternating senders, a second apart; the conversation's id."""
    user_a = runner.run_sync(lambda tx: find_by_username(tx.session, pair.a))[0]
    assert user_a is not None and user_a.id is not None
    info, _ = runner.run_sync(conversations.open_direct, actor_id=user_a.id, peer_username=pair.b)
    assert info.peer is not None
    sender_ids = (info.me.id, info.peer.id)
    start = utcnow() - timedelta(seconds=count)
    with runner.engine.begin() as connection:
        for first in range(1, count + 1, batch):
            rows = [{'conversation_id': info.conversation_id, 'seq': seq, 'sender_id': sender_ids[seq % 2],
                     'body': f'history message {seq}', 'created_at': start + timedelta(seconds=seq)}
                    for seq in range(first, min(first + batch, count + 1))]
            connection.execute(insert(Message), rows)
        connection.execute(update(Conversation).where(col(Conversation.id) == info.conversation_id)
                           .values(last_seq=count))
    return info.conversation_id


def messages_sent_by(runner: ServiceRunner, username: str) -> int:
    """How many messages ``username`` has stored, in all conversations."""
    user = runner.run_sync(lambda tx: find_by_username(tx.session, username))[0]
    assert user is not None
    with runner.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Message)
                                      .where(col(Message.sender_id) == user.id)).scalar_one())


def settled_count(runner: ServiceRunner, username: str, quiet: float = 2.0, at_most: float = 60.0) -> int:
    """``messages_sent_by`` once it has not changed for ``quiet`` seconds (the app still storing a backlog), or after
    ``at_most`` seconds. Blocks: run it in a thread."""
    deadline = time.monotonic() + at_most
    count = messages_sent_by(runner, username)
    steady_since = time.monotonic()
    while time.monotonic() < min(deadline, steady_since + quiet):
        time.sleep(quiet / 10)
        if (now := messages_sent_by(runner, username)) != count:
            count, steady_since = now, time.monotonic()
    return count


def _signup(runner: ServiceRunner, name: str) -> int:
    user, _ = runner.run_sync(accounts.signup, username=name, password=PASSWORD)
    return user.id


def drop_postgres(server_url: str, name: str) -> None:
    admin = create_engine(make_url(server_url).set(drivername='postgresql+psycopg'), isolation_level='AUTOCOMMIT')
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
    finally:
        admin.dispose()
