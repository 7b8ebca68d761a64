"""Scenario l's world: a million messages in ten thousand conversations, written in bulk (SQL, not the services),
with words drawn from a Zipf distribution so that a common word is in most messages and a rare one in a hundred.

Who is where: ``people`` accounts; ``hubs`` of them (the searchers "in many conversations") are each in
``conversations / 2 / hubs`` groups and ``directs_per_hub`` direct chats; every group has ``GROUP_SIZE`` members, its
hub joined some of them late (``joined_seq`` half-way), so the join boundary is on the searched path. Direct chats
pair two people who are friends. Message ids grow with time, as the app writes them. Everything is deterministic
for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from sqlalchemy import Connection, Engine, insert, text

from bench import crowd
from chatapp.clock import utcnow
from chatapp.services.tx import ServiceRunner
from models import Conversation, ConversationMember, Message

GROUP_SIZE = 8
BATCH = 20_000
COMMON = ('the', 'to', 'and', 'you', 'it', 'is', 'for', 'that', 'we', 'on', 'in', 'of', 'have', 'be', 'at', 'this',
          'can', 'what', 'with', 'are', 'tomorrow', 'meeting', 'lunch', 'call', 'ok', 'thanks', 'yes', 'no', 'time',
          'today', 'please', 'see', 'will', 'just', 'now', 'know', 'good', 'when', 'there', 'not')
_SYLLABLES = ('ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'do', 'gu', 'he', 'ji', 'ba', 'fe', 'qu',
              'wi', 'xo', 'yu', 'ar', 'en', 'is', 'ol', 'um')


@dataclass(frozen=True)
class Layout:
    messages: int
    conversations: int
    people: int
    hubs: int
    directs_per_hub: int
    vocabulary: int = 20_000


@dataclass(frozen=True)
class SearchWorld:
    hub_ids: list[int]
    """People in many conversations."""
    casual_ids: list[int]
    """People in a few."""
    vocabulary: list[str]
    """Most common first."""


def seed(runner: ServiceRunner, layout: Layout, rng: random.Random) -> SearchWorld:
    """Fill the (migrated, empty) database behind ``runner``."""
    people = crowd.people(runner, [f's{i}' for i in range(layout.people)])
    ids = [person.id for person in people]
    hubs, others = ids[:layout.hubs], ids[layout.hubs:]
    pairs = _direct_pairs(hubs, others, layout, rng)
    crowd.befriend(runner, [(crowd.Someone(a, ''), crowd.Someone(b, '')) for a, b in pairs])
    words = vocabulary(layout.vocabulary)
    counts = _message_counts(layout.messages, layout.conversations, rng)
    now = utcnow()
    start = now - timedelta(seconds=layout.messages)
    with runner.engine.begin() as connection:
        conversation_rows: list[dict[str, object]] = []
        member_rows: list[dict[str, object]] = []
        for number in range(layout.conversations):
            cid = number + 1
            last = counts[number]
            if number < len(pairs):
                low, high = sorted(pairs[number])
                conversation_rows.append({'id': cid, 'kind': 'direct', 'direct_key': f'{low}:{high}', 'title': None,
                                          'last_seq': last})
                member_rows += [{'conversation_id': cid, 'user_id': user, 'joined_seq': 0} for user in (low, high)]
            else:
                hub = hubs[(number - len(pairs)) % len(hubs)]
                crowd_members = rng.sample(others, GROUP_SIZE - 1)
                conversation_rows.append({'id': cid, 'kind': 'group', 'direct_key': None,
                                          'title': f'Group {number}', 'last_seq': last})
                late = last // 2 if number % 4 == 0 else 0  # the hub joined a quarter of its groups half-way
                member_rows += [{'conversation_id': cid, 'user_id': hub, 'joined_seq': late, 'role': 'admin'}]
                member_rows += [{'conversation_id': cid, 'user_id': user, 'joined_seq': 0} for user in crowd_members]
        for row in conversation_rows:
            row.update(created_at=start, last_activity_at=now, change_seq=0)
        for row in member_rows:
            row.setdefault('role', 'member')
            row.update(joined_at=start, read_seq=row['joined_seq'], muted=False, mention_seq=0)
        _insert(connection, Conversation, conversation_rows)
        _insert(connection, ConversationMember, member_rows)
        members = _members_by_conversation(member_rows)
        _insert_messages(runner.engine, connection, counts, members, words, start, rng)
    if runner.engine.dialect.name == 'postgresql':
        with runner.engine.begin() as connection:  # ids were given explicitly: the app's next ones follow them
            for table in ('message', 'conversation'):
                connection.execute(text("SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                                        "(SELECT max(id) FROM message))" if table == 'message' else
                                        "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                                        "(SELECT max(id) FROM conversation))"), {'table': table})
        with runner.engine.connect().execution_options(isolation_level='AUTOCOMMIT') as connection:
            connection.execute(text('VACUUM ANALYZE'))
    else:
        with runner.engine.begin() as connection:
            connection.execute(text('ANALYZE'))
            connection.execute(text("INSERT INTO message_search(message_search) VALUES ('optimize')"))
    casual = sorted({user for pair in pairs[len(hubs) * layout.directs_per_hub:] for user in pair})[:layout.hubs]
    return SearchWorld(hub_ids=hubs, casual_ids=casual, vocabulary=words)


def vocabulary(size: int) -> list[str]:
    """``size`` distinct words, the common English ones first, then made-up ones of two to four syllables."""
    words = list(COMMON)
    seen = set(words)
    rng = random.Random(7)
    while len(words) < size:
        word = ''.join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _direct_pairs(hubs: Sequence[int], others: Sequence[int], layout: Layout, rng: random.Random
                  ) -> list[tuple[int, int]]:
    """Half the conversations are direct: each hub's chats first, then pairs of other people (each pair once)."""
    wanted = layout.conversations // 2
    pairs: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for hub in hubs:
        for other in rng.sample(list(others), layout.directs_per_hub):
            pairs.append((hub, other))
            seen.add((min(hub, other), max(hub, other)))
    while len(pairs) < wanted:
        a, b = rng.sample(list(others), 2)
        key = (min(a, b), max(a, b))
        if key not in seen:
            seen.add(key)
            pairs.append(key)
    return pairs


def _message_counts(total: int, conversations: int, rng: random.Random) -> list[int]:
    """Messages per conversation: uneven (a few busy ones), adding up to ``total``."""
    weights = [rng.paretovariate(1.5) for _ in range(conversations)]
    scale = total / sum(weights)
    counts = [max(1, int(weight * scale)) for weight in weights]
    counts[0] += total - sum(counts)
    while counts[0] < 1:  # rounding took too much from the first: take it from the largest instead
        largest = max(range(conversations), key=counts.__getitem__)
        counts[largest] -= 1
        counts[0] += 1
    return counts


def _members_by_conversation(rows: list[dict[str, object]]) -> dict[int, list[int]]:
    members: dict[int, list[int]] = {}
    for row in rows:
        members.setdefault(int(str(row['conversation_id'])), []).append(int(str(row['user_id'])))
    return members


def _insert_messages(engine: Engine, connection: Connection, counts: list[int], members: dict[int, list[int]],
                     words: list[str], start: datetime, rng: random.Random) -> None:
    """Messages in time order over all conversations (ids grow with time), bodies of 2-16 Zipf-drawn words."""
    weights = list(accumulate(1 / rank for rank in range(1, len(words) + 1)))
    order = [cid for cid, count in enumerate(counts, start=1) for _ in range(count)]
    rng.shuffle(order)
    next_seq = dict.fromkeys(range(1, len(counts) + 1), 0)
    batch: list[dict[str, object]] = []
    for n, cid in enumerate(order):
        next_seq[cid] += 1
        body = ' '.join(rng.choices(words, cum_weights=weights, k=rng.randint(2, 16)))
        batch.append({'id': n + 1, 'conversation_id': cid, 'seq': next_seq[cid],
                      'sender_id': rng.choice(members[cid]), 'body': body,
                      'created_at': start + timedelta(seconds=n), 'kind': 'text'})
        if len(batch) == BATCH:
            _insert_batch(engine, connection, batch)
            batch = []
    if batch:
        _insert_batch(engine, connection, batch)


def _insert_batch(engine: Engine, connection: Connection, rows: list[dict[str, object]]) -> None:
    if engine.dialect.name != 'postgresql':
        _insert(connection, Message, rows)
        return
    columns = list(rows[0])
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY message ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _insert(connection: Connection, model: type, rows: list[dict[str, object]]) -> None:
    for chunk in _chunks(rows):
        connection.execute(insert(model), chunk)


def _chunks(rows: list[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    for first in range(0, len(rows), BATCH):
        yield rows[first:first + BATCH]

