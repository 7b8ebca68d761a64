"""Edits, deletes, reactions, replies and mentions on each backend: who may change what, who hears of it, and how
a view catches up with changes it missed."""

from __future__ import annotations

import pytest
from sqlmodel import select

from chatapp.errors import Invalid, NotFound
from chatapp.events import MessageChanged, MessagePosted
from chatapp.schemas import Reactions, UserPublic
from chatapp.services import blocking, conversations, friendships, groups, message_changes
from chatapp.services.tx import ServiceRunner
from models import ConversationMember, Reaction
from tests.factories import make_friends, make_group, make_user, open_chat, say


def _updates(services: ServiceRunner, actor: UserPublic, chat: int, after_change: int, after_seq: int = 10**6):
    updates, _ = services.run_sync(conversations.updates_after, actor_id=actor.id, conversation_id=chat,
                                   after_seq=after_seq, after_change=after_change)
    return updates


def test_the_sender_edits_and_every_member_hears_it(services: ServiceRunner, alice: UserPublic,
                                                     bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    first = say(services, alice, chat, 'helo')

    edited, events = services.run_sync(message_changes.edit_message, actor_id=alice.id, conversation_id=chat,
                                       seq=first.seq, body='  hello  ')

    assert edited.body == 'hello' and edited.edited_at is not None and edited.change_seq == 1
    assert events == [MessageChanged(recipients=(alice.id, bob.id), message=edited)]
    (shown,) = services.run_sync(conversations.messages_before, actor_id=bob.id, conversation_id=chat,
                                 before_seq=None)[0]
    assert shown == edited  # a page read later shows the edited state, as the event did


def test_an_edit_that_changes_nothing_stores_and_tells_nothing(services: ServiceRunner, alice: UserPublic,
                                                                bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    first = say(services, alice, chat, 'same')
    again, events = services.run_sync(message_changes.edit_message, actor_id=alice.id, conversation_id=chat,
                                      seq=first.seq, body='same ')
    assert events == [] and again.change_seq == 0 and again.edited_at is None
    assert _updates(services, bob, chat, 0).change_seq == 0


@pytest.mark.parametrize(('body', 'code'), [('   ', 'blank'), ('x' * 4001, 'too_long'), ('a\x00b', 'nul')])
def test_an_edit_follows_the_rules_of_a_send(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                             body: str, code: str) -> None:
    chat = open_chat(services, alice, bob)
    first = say(services, alice, chat, 'original')
    with pytest.raises(Invalid) as refused:
        services.run_sync(message_changes.edit_message, actor_id=alice.id, conversation_id=chat, seq=first.seq,
                          body=body)
    assert refused.value.code == code
    assert _updates(services, alice, chat, 0, after_seq=0).messages[0].body == 'original'


def test_only_the_sender_edits_or_deletes(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    first = say(services, alice, chat, 'mine')
    for change, extra in ((message_changes.edit_message, {'body': 'bob was here'}),
                          (message_changes.delete_message, {})):
        with pytest.raises(Invalid) as refused:
            services.run_sync(change, actor_id=bob.id, conversation_id=chat, seq=first.seq, **extra)
        assert refused.value.code == 'not_yours'
    assert _updates(services, alice, chat, 0, after_seq=0).messages[0].body == 'mine'
    assert _updates(services, alice, chat, 0).change_seq == 0  # the refused changes gave their numbers back


def test_deleting_empties_the_text_drops_reactions_and_stops_changes(services: ServiceRunner, alice: UserPublic,
                                                                      bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    first = say(services, alice, chat, 'oops')
    services.run_sync(message_changes.toggle_reaction, actor_id=bob.id, conversation_id=chat, seq=first.seq,
                      emoji='😂')

    deleted, events = services.run_sync(message_changes.delete_message, actor_id=alice.id, conversation_id=chat,
                                        seq=first.seq)

    assert deleted.deleted and deleted.body == '' and deleted.reactions == () and deleted.change_seq == 2
    assert events == [MessageChanged(recipients=(alice.id, bob.id), message=deleted)]
    assert services.run_sync(lambda tx: tx.session.exec(select(Reaction)).all())[0] == []
    for change, extra, code in ((message_changes.edit_message, {'body': 'back'}, 'not_changeable'),
                                (message_changes.delete_message, {}, 'not_changeable'),
                                (message_changes.toggle_reaction, {'emoji': '👍'}, 'not_reactable')):
        with pytest.raises(Invalid) as refused:
            services.run_sync(change, actor_id=alice.id, conversation_id=chat, seq=first.seq, **extra)
        assert refused.value.code == code


def test_a_reaction_toggles_and_groups_by_emoji(services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    first = say(services, alice, chat, 'lunch?')
    react = lambda who, emoji: services.run_sync(message_changes.toggle_reaction, actor_id=who.id,  # noqa: E731
                                                 conversation_id=chat, seq=first.seq, emoji=emoji)[0]
    react(bob, '👍')
    react(alice, '❤️')
    both = react(alice, '👍')
    assert both.reactions == (Reactions(emoji='👍', user_ids=(bob.id, alice.id)),
                              Reactions(emoji='❤️', user_ids=(alice.id,)))
    undone = react(bob, '👍')
    # ordered by each emoji's first use among those still there: alice's heart came before her thumb
    assert undone.reactions == (Reactions(emoji='❤️', user_ids=(alice.id,)), Reactions(emoji='👍', user_ids=(alice.id,)))
    assert undone.change_seq == 4
    with pytest.raises(Invalid) as refused:
        react(bob, '🍕')
    assert refused.value.code == 'bad_reaction'


def test_nobody_outside_changes_or_learns_anything(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                                   carol: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    make_friends(services, carol, alice)
    first = say(services, alice, chat, 'between us')
    for seq in (first.seq, 99):  # a message that exists and one that does not: the same refusal
        with pytest.raises(NotFound) as refused:
            services.run_sync(message_changes.toggle_reaction, actor_id=carol.id, conversation_id=chat, seq=seq,
                              emoji='👍')
        assert refused.value.code == conversations.NOT_AVAILABLE_CODE
    with pytest.raises(NotFound):
        _updates(services, carol, chat, 0)
    with pytest.raises(NotFound) as missing:
        services.run_sync(message_changes.toggle_reaction, actor_id=bob.id, conversation_id=chat, seq=99, emoji='👍')
    assert missing.value.code == message_changes.NO_MESSAGE_CODE

    services.run_sync(friendships.unfriend, actor_id=bob.id, friend_id=alice.id)
    with pytest.raises(NotFound):  # a direct chat closes with the friendship: no edits into it either
        services.run_sync(message_changes.edit_message, actor_id=alice.id, conversation_id=chat, seq=first.seq,
                          body='still here?')


def test_a_group_member_changes_only_what_they_can_see_and_hears_until_they_go(
        services: ServiceRunner, alice: UserPublic, bob: UserPublic, carol: UserPublic) -> None:
    group = make_group(services, alice, [bob]).conversation_id
    early = say(services, alice, group, 'before carol')
    make_friends(services, alice, carol)
    services.run_sync(groups.add_members, actor_id=alice.id, conversation_id=group, user_ids=[carol.id])
    later = say(services, alice, group, 'after carol')

    with pytest.raises(NotFound) as refused:  # before carol joined: not hers to see, so not hers to react to
        services.run_sync(message_changes.toggle_reaction, actor_id=carol.id, conversation_id=group, seq=early.seq,
                          emoji='👍')
    assert refused.value.code == message_changes.NO_MESSAGE_CODE
    _, events = services.run_sync(message_changes.toggle_reaction, actor_id=carol.id, conversation_id=group,
                                  seq=later.seq, emoji='👍')
    assert events[0].recipients == tuple(sorted((alice.id, bob.id, carol.id)))
    services.run_sync(message_changes.edit_message, actor_id=alice.id, conversation_id=group, seq=early.seq,
                      body='before carol, edited')
    assert [m.seq for m in _updates(services, carol, group, 0).changed] == [later.seq]  # never the earlier one

    services.run_sync(groups.remove_member, actor_id=alice.id, conversation_id=group, user_id=carol.id)
    _, events = services.run_sync(message_changes.edit_message, actor_id=alice.id, conversation_id=group,
                                  seq=later.seq, body='after carol left')
    assert carol.id not in events[0].recipients
    with pytest.raises(NotFound):
        services.run_sync(message_changes.toggle_reaction, actor_id=carol.id, conversation_id=group, seq=later.seq,
                          emoji='👍')


def test_catching_up_returns_each_changed_message_once_in_its_latest_state(
        services: ServiceRunner, alice: UserPublic, bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    one, two, three = (say(services, alice, chat, text) for text in ('one', 'two', 'three'))
    change = lambda fn, **kw: services.run_sync(fn, actor_id=alice.id, conversation_id=chat, **kw)  # noqa: E731
    change(message_changes.edit_message, seq=one.seq, body='one!')
    change(message_changes.toggle_reaction, seq=two.seq, emoji='🙏')
    change(message_changes.edit_message, seq=one.seq, body='one!!')
    change(message_changes.delete_message, seq=three.seq)

    updates = _updates(services, bob, chat, 0)
    assert [(m.seq, m.body, m.change_seq) for m in updates.changed] == [(2, 'two', 2), (1, 'one!!', 3), (3, '', 4)]
    assert updates.change_seq == 4 and updates.messages == []
    assert [m.seq for m in _updates(services, bob, chat, 3).changed] == [3]
    assert _updates(services, bob, chat, 4).changed == []


def test_a_reply_quotes_the_first_line_and_follows_its_changes(services: ServiceRunner, alice: UserPublic,
                                                               bob: UserPublic) -> None:
    chat = open_chat(services, alice, bob)
    asked = say(services, alice, chat, 'Dinner at 8?\nOr later')
    answer, events = services.run_sync(conversations.send_message, actor_id=bob.id, conversation_id=chat,
                                       body='8 is fine', reply_to=asked.seq)
    assert answer.reply is not None and (answer.reply.seq, answer.reply.sender_id, answer.reply.excerpt) == (
        asked.seq, alice.id, 'Dinner at 8?')
    assert isinstance(events[0], MessagePosted) and events[0].message.reply == answer.reply

    services.run_sync(message_changes.delete_message, actor_id=alice.id, conversation_id=chat, seq=asked.seq)
    page, _ = services.run_sync(conversations.messages_before, actor_id=bob.id, conversation_id=chat, before_seq=None)
    assert page[-1].reply is not None and page[-1].reply.deleted and page[-1].reply.excerpt == ''


def test_a_reply_must_answer_a_message_its_sender_may_see(services: ServiceRunner, alice: UserPublic,
                                                          bob: UserPublic, carol: UserPublic) -> None:
    group = make_group(services, alice, [bob]).conversation_id
    early = say(services, alice, group, 'before carol')
    make_friends(services, alice, carol)
    services.run_sync(groups.add_members, actor_id=alice.id, conversation_id=group, user_ids=[carol.id])
    gone = say(services, alice, group, 'soon deleted')
    services.run_sync(message_changes.delete_message, actor_id=alice.id, conversation_id=group, seq=gone.seq)
    page, _ = services.run_sync(conversations.messages_before, actor_id=alice.id, conversation_id=group,
                                before_seq=None)
    event_seq = next(m.seq for m in page if m.kind == 'event')
    for seq in (early.seq, gone.seq, event_seq, 999):
        with pytest.raises(Invalid) as refused:
            services.run_sync(conversations.send_message, actor_id=carol.id, conversation_id=group, body='re',
                              reply_to=seq)
        assert refused.value.code == conversations.BAD_REPLY_CODE
    assert _updates(services, alice, group, 10**6, after_seq=gone.seq).messages == []  # nothing was stored


def test_a_mention_marks_the_members_named_in_a_group(services: ServiceRunner, alice: UserPublic, bob: UserPublic,
                                                      carol: UserPublic) -> None:
    group = make_group(services, alice, [bob, carol]).conversation_id
    message = say(services, bob, group, 'thanks @alice. and @CAROL, mail me at bob@alice.org @bob @nobody')
    assert message.mentions == tuple(sorted((alice.id, carol.id)))  # never the sender, an address or a stranger

    def mention_seq(user: UserPublic) -> int:
        return services.run_sync(lambda tx: tx.session.exec(select(ConversationMember.mention_seq).where(
            ConversationMember.conversation_id == group, ConversationMember.user_id == user.id)).one())[0]

    assert (mention_seq(alice), mention_seq(carol), mention_seq(bob)) == (message.seq, message.seq, 0)
    direct = open_chat(services, bob, make_user(services, 'dave'))
    assert say(services, bob, direct, 'hi @alice').mentions == ()  # only members of a group are mentioned


def test_names_of_past_senders_are_given_only_for_what_the_reader_can_see(
        services: ServiceRunner, alice: UserPublic, bob: UserPublic, carol: UserPublic) -> None:
    group = make_group(services, alice, [bob, carol]).conversation_id
    say(services, carol, group, 'bye all')
    services.run_sync(groups.leave_group, actor_id=carol.id, conversation_id=group)
    stranger = make_user(services, 'stranger', display_name='Secret Name')

    names, _ = services.run_sync(conversations.sender_names, actor_id=bob.id, conversation_id=group,
                                 user_ids=[carol.id, stranger.id])
    assert names == {carol.id: 'carol'}  # a stranger never wrote here: no name given

    dave = make_user(services, 'dave')
    make_friends(services, alice, dave)
    services.run_sync(groups.add_members, actor_id=alice.id, conversation_id=group, user_ids=[dave.id])
    names, _ = services.run_sync(conversations.sender_names, actor_id=dave.id, conversation_id=group,
                                 user_ids=[carol.id])
    assert names == {}  # carol wrote before dave joined
    with pytest.raises(NotFound):
        services.run_sync(conversations.sender_names, actor_id=carol.id, conversation_id=group, user_ids=[bob.id])


def test_a_group_opened_by_someone_who_blocks_a_member_lists_them_as_blocked(
        services: ServiceRunner, alice: UserPublic, bob: UserPublic, carol: UserPublic) -> None:
    group = make_group(services, alice, [bob, carol]).conversation_id
    services.run_sync(blocking.block, actor_id=bob.id, user_id=carol.id)
    info, _ = services.run_sync(conversations.open_conversation, actor_id=bob.id, conversation_id=group)
    assert info.blocked == [carol.id]
    info, _ = services.run_sync(conversations.open_conversation, actor_id=carol.id, conversation_id=group)
    assert info.blocked == []  # nobody learns who blocks them
