"""The rules of ``chatapp.services.attachments`` on each backend: who may upload where, the quota, which message may
carry an upload, who may fetch one, and what is removed when."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest

from chatapp.app import make_runner
from chatapp.broker import MemoryBroker
from chatapp.clock import utcnow
from chatapp.errors import Invalid, NotFound
from chatapp.schemas import AttachmentInfo, UserPublic
from chatapp.services import attachments, deletion, friendships, groups, message_changes
from chatapp.services.tx import ServiceRunner
from tests.concurrency import together
from tests.conftest import make_settings
from tests.factories import PASSWORD, make_friends, make_group, make_user, open_chat, say

KIB = 1024


@pytest.fixture
def services(tmp_path: Path, db_url: str) -> Iterator[ServiceRunner]:
    """The service layer with a quota of 1 MiB per account."""
    runner = make_runner(make_settings(tmp_path, db_url, quota_mb=1), MemoryBroker())
    yield runner
    runner.shutdown()
    runner.engine.dispose()


@pytest.fixture
def people(services: ServiceRunner) -> dict[str, UserPublic]:
    return {name: make_user(services, name) for name in ('ada', 'bea', 'cyd', 'dan')}


def upload(services: ServiceRunner, owner: UserPublic, conversation_id: int, *, size: int = 100,
           content: str = 'x', kind: str = 'file', filename: str = 'notes.txt') -> AttachmentInfo:
    picture = {'mime': 'image/png', 'width': 10, 'height': 20} if kind == 'image' else {'mime': 'application/pdf'}
    info, _ = services.run_sync(attachments.record_upload, actor_id=owner.id, conversation_id=conversation_id,
                                sha256=hashlib.sha256(content.encode()).hexdigest(), kind=kind, filename=filename,
                                size=size, **picture)
    return info


def claim(services: ServiceRunner, actor: UserPublic, conversation_id: int, attachment_id: int,
          message_id: int) -> AttachmentInfo:
    """What ``send_message(..., attachment_id=...)`` does in its transaction."""
    info, _ = services.run_sync(lambda tx: attachments.claim(
        tx.session.connection(), actor_id=actor.id, conversation_id=conversation_id, attachment_id=attachment_id,
        message_id=message_id))
    return info


def sent(services: ServiceRunner, sender: UserPublic, conversation_id: int, **upload_args: object) -> int:
    """The id of an attachment that ``sender`` sent in a message of the conversation."""
    info = upload(services, sender, conversation_id, **upload_args)  # type: ignore[arg-type]
    claim(services, sender, conversation_id, info.id, say(services, sender, conversation_id, 'see this').id)
    return info.id


def fetch(services: ServiceRunner, viewer: UserPublic, attachment_id: int) -> attachments.Stored:
    stored, _ = services.run_sync(attachments.attachment_for_viewer, actor_id=viewer.id, attachment_id=attachment_id)
    return stored


# --- uploading -----------------------------------------------------------------------------------------------------

def test_a_member_uploads_and_the_row_says_what_was_stored(services: ServiceRunner,
                                                           people: dict[str, UserPublic]) -> None:
    ada, bea = people['ada'], people['bea']
    chat = open_chat(services, ada, bea)
    info = upload(services, ada, chat, kind='image', filename='../../x\u202e.png', size=2048)
    assert (info.kind, info.mime, info.filename, info.size, info.width, info.height) == \
        ('image', 'image/png', 'x.png', 2048, 10, 20)
    assert fetch(services, ada, info.id).info == info


def test_nobody_uploads_where_they_may_not_write(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    ada, bea, cy = people['ada'], people['bea'], people['cyd']
    chat = open_chat(services, ada, bea)
    for actor, conversation in ((cy, chat), (ada, 10**6)):
        with pytest.raises(NotFound):
            services.run_sync(attachments.upload_allowance, actor_id=actor.id, conversation_id=conversation)
        with pytest.raises(NotFound):
            upload(services, actor, conversation)
    services.run_sync(friendships.unfriend, actor_id=bea.id, friend_id=ada.id)
    with pytest.raises(NotFound):  # a direct chat ends with the friendship
        upload(services, ada, chat)


def test_the_quota_counts_every_upload_of_the_account(services: ServiceRunner,
                                                      people: dict[str, UserPublic]) -> None:
    ada, bea = people['ada'], people['bea']
    chat = open_chat(services, ada, bea)
    left, _ = services.run_sync(attachments.upload_allowance, actor_id=ada.id, conversation_id=chat)
    assert left == 1024 * KIB
    upload(services, ada, chat, size=600 * KIB)
    with pytest.raises(Invalid) as refused:
        upload(services, ada, chat, size=500 * KIB, content='second')
    assert refused.value.code == attachments.QUOTA_CODE
    upload(services, ada, chat, size=424 * KIB, content='third')  # exactly full
    with pytest.raises(Invalid) as full:
        services.run_sync(attachments.upload_allowance, actor_id=ada.id, conversation_id=chat)
    assert full.value.code == attachments.QUOTA_CODE
    left, _ = services.run_sync(attachments.upload_allowance, actor_id=bea.id, conversation_id=chat)
    assert left == 1024 * KIB  # another account's space is its own


def test_two_uploads_at_once_cannot_both_take_the_last_space(services: ServiceRunner,
                                                             people: dict[str, UserPublic]) -> None:
    ada, bea = people['ada'], people['bea']
    chat = open_chat(services, ada, bea)
    outcomes = together([partial(upload, services, ada, chat, size=600 * KIB, content=str(n)) for n in range(4)])
    assert sum(isinstance(outcome, AttachmentInfo) for outcome in outcomes) == 1, outcomes
    assert all(isinstance(outcome, (AttachmentInfo, Invalid)) for outcome in outcomes), outcomes


# --- sending -------------------------------------------------------------------------------------------------------

def test_a_message_carries_only_its_senders_own_unsent_upload_from_that_conversation(
        services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    ada, bea, cy = people['ada'], people['bea'], people['cyd']
    chat = open_chat(services, ada, bea)
    other = open_chat(services, ada, cy)
    mine = upload(services, ada, chat)
    elsewhere = upload(services, ada, other, content='other')
    hers = upload(services, bea, chat, content='hers')
    message = say(services, ada, chat)
    for attachment_id in (hers.id, elsewhere.id, 10**6):
        with pytest.raises(Invalid) as refused:
            claim(services, ada, chat, attachment_id, message.id)
        assert refused.value.code == attachments.BAD_ATTACHMENT_CODE
    assert claim(services, ada, chat, mine.id, message.id) == mine
    with pytest.raises(Invalid):  # once only
        claim(services, ada, chat, mine.id, say(services, ada, chat, 'again').id)
    found, _ = services.run_sync(lambda tx: attachments.attachments_of(tx.session.connection(), [message.id, 10**6]))
    assert found == {message.id: mine}


# --- fetching ------------------------------------------------------------------------------------------------------

def test_an_unsent_upload_is_its_uploaders_alone(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    ada, bea = people['ada'], people['bea']
    chat = open_chat(services, ada, bea)
    info = upload(services, ada, chat)
    assert fetch(services, ada, info.id).info == info
    with pytest.raises(NotFound):
        fetch(services, bea, info.id)
    claim(services, ada, chat, info.id, say(services, ada, chat).id)
    assert fetch(services, bea, info.id).info == info


def test_members_see_what_was_sent_after_they_joined_and_while_they_are_members(
        services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    ada, bea, cy, dan = people['ada'], people['bea'], people['cyd'], people['dan']
    group = make_group(services, ada, [bea, cy]).conversation_id
    before_dan = sent(services, ada, group)
    make_friends(services, ada, dan)
    services.run_sync(groups.add_members, actor_id=ada.id, conversation_id=group, user_ids=[dan.id])
    after_dan = sent(services, ada, group, content='later')
    assert fetch(services, dan, after_dan).info.id == after_dan
    with pytest.raises(NotFound):  # from before dan's join point
        fetch(services, dan, before_dan)
    assert fetch(services, cy, before_dan).info.id == before_dan
    services.run_sync(groups.leave_group, actor_id=cy.id, conversation_id=group)
    with pytest.raises(NotFound):
        fetch(services, cy, before_dan)
    services.run_sync(groups.remove_member, actor_id=ada.id, conversation_id=group, user_id=bea.id)
    with pytest.raises(NotFound):
        fetch(services, bea, after_dan)
    with pytest.raises(NotFound):
        fetch(services, ada, 10**6)


def test_a_deleted_message_takes_its_attachment_away(services: ServiceRunner, people: dict[str, UserPublic]) -> None:
    ada, bea = people['ada'], people['bea']
    chat = open_chat(services, ada, bea)
    info = upload(services, ada, chat)
    message = say(services, ada, chat)
    claim(services, ada, chat, info.id, message.id)
    services.run_sync(message_changes.delete_message, actor_id=ada.id, conversation_id=chat, seq=message.seq)
    for viewer in (ada, bea):
        with pytest.raises(NotFound):
            fetch(services, viewer, info.id)


# --- removing ------------------------------------------------------------------------------------------------------

def test_unsent_uploads_go_after_a_day_and_deleted_messages_take_theirs(services: ServiceRunner,
                                                                        people: dict[str, UserPublic]) -> None:
    ada, bea = people['ada'], people['bea']
    chat = open_chat(services, ada, bea)
    unsent = upload(services, ada, chat, content='unsent')
    kept = sent(services, ada, chat, content='kept')
    message = say(services, ada, chat, 'to delete')
    claim(services, ada, chat, upload(services, ada, chat, content='deleted').id, message.id)
    services.run_sync(message_changes.delete_message, actor_id=ada.id, conversation_id=chat, seq=message.seq)

    removed, _ = services.run_sync(attachments.remove_stale)
    assert removed == 1  # the deleted message's, at once; the unsent one is young
    assert fetch(services, ada, unsent.id)
    removed, _ = services.run_sync(attachments.remove_stale, now=utcnow() + timedelta(days=1, minutes=1))
    assert removed == 1
    with pytest.raises(NotFound):
        fetch(services, ada, unsent.id)
    assert fetch(services, bea, kept).info.id == kept
    used, _ = services.run_sync(attachments.hashes_in_use, hashes=[_sha('kept'), _sha('unsent'), _sha('deleted')])
    assert used == {_sha('kept')}


def test_a_deleted_accounts_files_go_and_everyone_elses_stay(services: ServiceRunner,
                                                             people: dict[str, UserPublic]) -> None:
    ada, bea, cyd = people['ada'], people['bea'], people['cyd']
    group = make_group(services, ada, [bea, cyd]).conversation_id
    hers = sent(services, ada, group, content='shared')
    theirs = sent(services, bea, group, content='shared')  # the same bytes: one blob, two rows
    assert fetch(services, cyd, hers).info.id == hers
    services.run_sync(deletion.delete_account, actor_id=ada.id, password=PASSWORD, client_key='203.0.113.9')
    with pytest.raises(NotFound):  # the message stays, the file does not
        fetch(services, cyd, hers)
    assert fetch(services, cyd, theirs).info.id == theirs
    used, _ = services.run_sync(attachments.hashes_in_use, hashes=[_sha('shared')])
    assert used == {_sha('shared')}  # bea's row still names the blob


def _sha(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()
