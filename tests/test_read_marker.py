"""The process's read marker: the marks of many pages written as one transaction, each checked alone, none lost when
a write fails or the app stops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from chatapp import read_marker
from chatapp.read_marker import ReadMarker
from chatapp.services import reads
from chatapp.services.tx import ServiceRunner, Tx
from models import ConversationMember
from tests.factories import make_user, read_group, say


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[list[reads.Mark]]:
    """Each batch the marker wrote; the interval shortened so the tests wait little."""
    monkeypatch.setattr(read_marker, 'EVERY', 0.2)
    monkeypatch.setattr(read_marker, 'GATHER', 0.01)
    batches: list[list[reads.Mark]] = []
    real = reads.mark_reads

    def counted(tx: Tx, *, marks: list[reads.Mark]) -> dict[tuple[int, int], int | None]:
        batches.append(list(marks))
        return real(tx, marks=marks)

    monkeypatch.setattr(reads, 'mark_reads', counted)
    return batches


async def test_a_burst_of_marks_is_one_write_and_each_reader_hears_its_own_outcome(
        services: ServiceRunner, writes: list[list[reads.Mark]]) -> None:
    people = [make_user(services, name) for name in ('alice', 'bob', 'carol', 'dave')]
    alice, bob, carol, dave = people
    team = read_group(services, 'Team', alice, bob, carol)
    seq = say(services, alice, team, 'hello').seq
    heard: dict[str, list[int | None]] = {person.username: [] for person in people}
    marker = ReadMarker(services)
    writes.clear()  # the factories' own marks

    for person in (bob, carol, dave):
        marker.mark(person.id, team, seq - 1, heard[person.username].append)
        marker.mark(person.id, team, seq, heard[person.username].append)  # the same listener: told once
    await _until(lambda: heard['bob'] and heard['carol'] and heard['dave'])

    assert len(writes) == 1 and len(writes[0]) == 3  # one transaction, one mark per reader
    assert heard == {'alice': [], 'bob': [seq], 'carol': [seq], 'dave': [None]}  # dave is no member
    assert _positions(services, team) == {alice.id: seq, bob.id: seq, carol.id: seq}
    assert marker.pending == 0


async def test_marks_arriving_during_a_write_go_in_the_next_one(services: ServiceRunner,
                                                                writes: list[list[reads.Mark]]) -> None:
    alice, bob = make_user(services, 'alice'), make_user(services, 'bob')
    team = read_group(services, 'Team', alice, bob)
    first = say(services, alice, team, 'one').seq
    marker = ReadMarker(services)
    writes.clear()
    heard: list[int | None] = []
    marker.mark(bob.id, team, first, heard.append)
    await _until(lambda: writes)
    second = say(services, alice, team, 'two').seq
    marker.mark(bob.id, team, second, heard.append)
    await _until(lambda: len(heard) == 2)

    assert heard == [first, second] and len(writes) == 2
    assert _positions(services, team)[bob.id] == second


async def test_a_failed_write_keeps_its_marks_and_tries_again(services: ServiceRunner,
                                                              writes: list[list[reads.Mark]],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    alice, bob = make_user(services, 'alice'), make_user(services, 'bob')
    team = read_group(services, 'Team', alice, bob)
    seq = say(services, alice, team, 'hello').seq
    counted = reads.mark_reads
    failures = [ConnectionError('database away')]

    def flaky(tx: Tx, *, marks: list[reads.Mark]) -> Any:
        if failures:
            raise failures.pop()
        return counted(tx, marks=marks)

    monkeypatch.setattr(reads, 'mark_reads', flaky)
    heard: list[int | None] = []
    marker = ReadMarker(services)
    marker.mark(bob.id, team, seq, heard.append)
    await _until(lambda: not failures)
    assert _positions(services, team)[bob.id] < seq and marker.pending == 1

    await _until(lambda: heard)
    assert heard == [seq] and _positions(services, team)[bob.id] == seq


async def test_a_big_write_is_cut_into_transactions_of_whole_conversations(
        services: ServiceRunner, writes: list[list[reads.Mark]], monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite a transaction holds the one write turn, so the marks of many conversations go a few at a time; a
    conversation's readers stay together (one statement moves them all)."""
    monkeypatch.setattr(read_marker, 'CHUNK_MARKS', 2)
    alice, bob, carol = (make_user(services, name) for name in ('alice', 'bob', 'carol'))
    teams = [read_group(services, f'Team {i}', alice, bob, carol) for i in range(3)]
    seqs = {team: say(services, alice, team, 'hello').seq for team in teams}
    marker = ReadMarker(services)
    writes.clear()
    heard: list[int | None] = []
    marker.mark(bob.id, teams[0], seqs[teams[0]], heard.append)
    marker.mark(carol.id, teams[0], seqs[teams[0]], heard.append)
    marker.mark(bob.id, teams[1], seqs[teams[1]], heard.append)
    marker.mark(bob.id, teams[2], seqs[teams[2]], heard.append)
    marker.mark(carol.id, teams[2], seqs[teams[2]], heard.append)
    await _until(lambda: len(heard) == 5)

    assert [sorted((mark.conversation_id, mark.actor_id) for mark in batch) for batch in writes] == [
        [(teams[0], bob.id), (teams[0], carol.id)],
        [(teams[1], bob.id), (teams[2], bob.id), (teams[2], carol.id)]]
    assert all(_positions(services, team)[reader.id] == seqs[team]
               for team in teams for reader in (bob, carol) if (team, reader) != (teams[1], carol))


async def test_a_failed_chunk_stops_the_write_and_keeps_the_rest(services: ServiceRunner,
                                                                 writes: list[list[reads.Mark]],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The database away: one try, not one per chunk, and every mark of the write comes back for the next."""
    monkeypatch.setattr(read_marker, 'CHUNK_MARKS', 1)
    alice, bob = make_user(services, 'alice'), make_user(services, 'bob')
    teams = [read_group(services, f'Team {i}', alice, bob) for i in range(3)]
    seqs = {team: say(services, alice, team, 'hello').seq for team in teams}
    counted = reads.mark_reads
    tries: list[int] = []

    def flaky(tx: Tx, *, marks: list[reads.Mark]) -> Any:
        tries.append(len(marks))
        if len(tries) == 1:
            raise ConnectionError('database away')
        return counted(tx, marks=marks)

    monkeypatch.setattr(reads, 'mark_reads', flaky)
    marker = ReadMarker(services)
    heard: list[int | None] = []
    for team in teams:
        marker.mark(bob.id, team, seqs[team], heard.append)
    await _until(lambda: tries)
    await asyncio.sleep(0.05)
    assert tries == [1] and marker.pending == 3  # the other two chunks were not tried against a database away

    await _until(lambda: len(heard) == 3)
    assert tries == [1, 1, 1, 1] and all(_positions(services, team)[bob.id] == seqs[team] for team in teams)


async def test_close_writes_what_is_pending(services: ServiceRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read_marker, 'GATHER', 60.0)  # the timer would never fire within the test
    alice, bob = make_user(services, 'alice'), make_user(services, 'bob')
    team = read_group(services, 'Team', alice, bob)
    seq = say(services, alice, team, 'hello').seq
    marker = ReadMarker(services)
    marker.mark(bob.id, team, seq)  # the page that took this mark may be gone by now: the mark is not

    await marker.close()

    assert _positions(services, team)[bob.id] == seq and marker.pending == 0


async def _until(condition: Callable[[], object], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError('condition never held')


def _positions(services: ServiceRunner, conversation_id: int) -> dict[int, int]:
    def read(tx: Tx) -> dict[int, int]:
        rows = tx.session.exec(select(ConversationMember).where(ConversationMember.conversation_id == conversation_id))
        return {row.user_id: row.read_seq for row in rows}
    return services.run_sync(read)[0]

