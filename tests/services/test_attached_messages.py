"""Messages that carry a picture or a file, on each backend: only my own unsent upload of this conversation can be
sent, once; a caption may be empty only then; reads bring the attachment back, and a deleted message drops it."""

from __future__ import annotations

import pytest

from chatapp.errors import Invalid
from chatapp.schemas import AttachmentInfo, UserPublic
from chatapp.services import attachments, conversations, message_changes
from chatapp.services.tx import ServiceRunner
from tests.factories import make_user, open_chat


def _upload(services: ServiceRunner, owner: UserPublic, conversation_id: int, name: str = 'plan.pdf'
            ) -> AttachmentInfo:
    stored, _ = services.run_sync(attachments.record_upload, actor_id=owner.id, conversation_id=conversation_id,
                                  sha256='a' * 64, kind='file', mime='application/pdf', filename=name, size=2048,
                                  width=None, height=None)
    return stored


def _send(services: ServiceRunner, sender: UserPublic, conversation_id: int, body: str = '',
          attachment_id: int | None = None):
    return services.run_sync(conversations.send_message, actor_id=sender.id, conversation_id=conversation_id,
                             body=body, attachment_id=attachment_id)[0]


def test_a_message_carries_my_upload_once_and_reads_bring_it_back(services: ServiceRunner, alice: UserPublic,
                                                                  bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    upload = _upload(services, alice, chat)
    sent = _send(services, alice, chat, attachment_id=upload.id)  # no caption: allowed with a file
    assert sent.body == '' and sent.attachment == upload
    (read,) = services.run_sync(conversations.messages_before, actor_id=bob.id, conversation_id=chat,
                                before_seq=None)[0]
    assert read.attachment == upload
    with pytest.raises(Invalid) as again:
        _send(services, alice, chat, 'twice?', attachment_id=upload.id)
    assert again.value.code == 'bad_attachment'


def test_only_my_own_upload_into_this_conversation_can_be_sent(services: ServiceRunner, alice: UserPublic,
                                                               bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    other = open_chat(services, alice, make_user(services, 'carol'))
    bobs = _upload(services, bob, chat)
    elsewhere = _upload(services, alice, other)
    for attachment_id in (bobs.id, elsewhere.id, 10**6):
        with pytest.raises(Invalid) as refused:
            _send(services, alice, chat, 'look', attachment_id=attachment_id)
        assert refused.value.code == 'bad_attachment'
    assert services.run_sync(conversations.messages_before, actor_id=alice.id, conversation_id=chat,
                             before_seq=None)[0] == []  # nothing was stored


def test_a_blank_text_needs_a_file(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    with pytest.raises(Invalid) as refused:
        _send(services, alice, chat, '   ')
    assert refused.value.code == 'blank'


def test_deleting_the_message_drops_what_it_carried(services: ServiceRunner, alice: UserPublic,
                                                    bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    sent = _send(services, alice, chat, 'the plan', attachment_id=_upload(services, alice, chat).id)
    deleted, _ = services.run_sync(message_changes.delete_message, actor_id=alice.id, conversation_id=chat,
                                   seq=sent.seq)
    assert deleted.attachment is None
    (read,) = services.run_sync(conversations.messages_before, actor_id=bob.id, conversation_id=chat,
                                before_seq=None)[0]
    assert read.deleted and read.attachment is None
