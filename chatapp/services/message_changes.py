"""Changes to stored messages: edit and delete (the sender's own text messages) and reactions (anyone who may read
the message), each told to the members at once and caught up by views that missed it.

**Numbering.** A change takes the conversation's next ``change_seq`` (an ``UPDATE … RETURNING``, which locks the
conversation row as a send does) and stamps it on the message. A view that has applied change n expects n + 1; one
further ahead means it missed some and reads them (``conversations.updates_after``), which returns each changed
message once, in its latest state. Applying a message's state is idempotent: views keep the state with the higher
``change_seq``, so a change heard twice, or heard after a newer page was read, changes nothing.

**Who may.**

| action          | who                                      | which messages                                      |
|-----------------|------------------------------------------|-----------------------------------------------------|
| edit            | the sender, while they may use the chat  | their own text messages, not deleted                |
| delete          | the sender, while they may use the chat  | their own text messages, not deleted                |
| react (toggle)  | any member who may use the chat          | text messages after their join, not deleted         |

"May use the chat" is ``conversations.require_access``'s rule, checked after taking the lock exactly as a send checks
it (``conversations.members_for_write``). A message the actor may not see, or that does not exist, gets the same refusal
(``NotFound``, code ``no_message``); one they may see but not change gets ``Invalid`` with a code saying why.

**Recipients.** The members at the moment of the commit (the same set a send in that moment would reach).

No time limit applies to edits and deletes (as in Slack and Matrix; WhatsApp and Telegram set one). A deleted
message keeps its place and its sender; its text and reactions go, and replies quoting it say it was deleted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, update
from sqlalchemy import select as core_select

from chatapp.clock import utcnow
from chatapp.errors import Invalid, NotFound
from chatapp.events import MessageChanged
from chatapp.schemas import MessageData
from chatapp.security.limits import limited
from chatapp.services.conversations import NOT_AVAILABLE, NOT_AVAILABLE_CODE, members_for_write, message_text
from chatapp.services.message_details import COLUMNS, message_data
from chatapp.services.tables import core_table
from chatapp.services.tx import Tx
from models import REACTIONS, Conversation, ConversationMember, Message, Reaction

NO_MESSAGE = 'This message is not available.'
NO_MESSAGE_CODE = 'no_message'

_conversations = core_table(Conversation)
_members = core_table(ConversationMember)
_messages = core_table(Message)
_reactions = core_table(Reaction)
_m = _messages.c

_NEXT_CHANGE = (update(_conversations).where(_conversations.c.id == bindparam('conversation_id'))
                .values(change_seq=_conversations.c.change_seq + 1)
                .returning(_conversations.c.change_seq, _conversations.c.kind))
_TARGET = (core_select(*COLUMNS, _members.c.joined_seq)
           .select_from(_messages.join(_members, and_(_members.c.conversation_id == _m.conversation_id,
                                                      _members.c.user_id == bindparam('actor_id'))))
           .where(_m.conversation_id == bindparam('conversation_id'), _m.seq == bindparam('seq')))
_STAMP = (update(_messages).where(_m.id == bindparam('message_id')))
_UNREACT = delete(_reactions).where(_reactions.c.message_id == bindparam('message_id'),
                                    _reactions.c.user_id == bindparam('actor_id'),
                                    _reactions.c.emoji == bindparam('emoji'))
_REACT = insert(_reactions)
_CLEAR_REACTIONS = delete(_reactions).where(_reactions.c.message_id == bindparam('message_id'))
_READ_BACK = core_select(*COLUMNS).where(_m.id == bindparam('message_id'))


@limited('messages')
def edit_message(tx: Tx, *, actor_id: int, conversation_id: int, seq: int, body: str) -> MessageData:
    """Replace the text of the actor's message ``seq``; the same rules as a send apply to the new text. An edit
    that changes nothing stores nothing and tells nobody."""
    text = message_text(body)
    connection, change, target, members = _begin(tx, actor_id, conversation_id, seq)
    _own_text(target, actor_id, 'edit')
    if target.body == text:
        unchanged = message_data(connection, [target])[0]
        tx.session.rollback()
        return unchanged
    connection.execute(_STAMP.values(body=text, edited_at=utcnow(), change_seq=change), {'message_id': target.id})
    return _announce(tx, connection, target.id, members)


@limited('messages')
def delete_message(tx: Tx, *, actor_id: int, conversation_id: int, seq: int) -> MessageData:
    """Delete the actor's message ``seq`` for everyone: its text and reactions go, its place stays."""
    connection, change, target, members = _begin(tx, actor_id, conversation_id, seq)
    _own_text(target, actor_id, 'delete')
    connection.execute(_CLEAR_REACTIONS, {'message_id': target.id})
    connection.execute(_STAMP.values(body='', deleted_at=utcnow(), change_seq=change), {'message_id': target.id})
    return _announce(tx, connection, target.id, members)


@limited('messages')
def toggle_reaction(tx: Tx, *, actor_id: int, conversation_id: int, seq: int, emoji: str) -> MessageData:
    """Add the actor's ``emoji`` to message ``seq``, or take it away when it is there."""
    if emoji not in REACTIONS:
        raise Invalid('Pick one of the reactions offered.', code='bad_reaction')
    connection, change, target, members = _begin(tx, actor_id, conversation_id, seq)
    if target.kind != 'text' or target.deleted_at is not None:
        raise Invalid('You cannot react to this message.', code='not_reactable')
    params = {'message_id': target.id, 'actor_id': actor_id, 'emoji': emoji}
    if connection.execute(_UNREACT, params).rowcount == 0:
        connection.execute(_REACT, {'message_id': target.id, 'user_id': actor_id, 'emoji': emoji,
                                    'created_at': utcnow()})
    connection.execute(_STAMP.values(change_seq=change), {'message_id': target.id})
    return _announce(tx, connection, target.id, members)


def _begin(tx: Tx, actor_id: int, conversation_id: int, seq: int
           ) -> tuple[Connection, int, Any, list[int]]:
    """Take the next change number (locking the conversation), check access under that lock, read the message."""
    connection = tx.session.connection()
    bumped = connection.execute(_NEXT_CHANGE, {'conversation_id': conversation_id}).first()
    if bumped is None:
        raise NotFound(NOT_AVAILABLE, code=NOT_AVAILABLE_CODE)
    change, kind = bumped
    members = members_for_write(connection, actor_id, conversation_id, kind)
    target = connection.execute(_TARGET, {'actor_id': actor_id, 'conversation_id': conversation_id,
                                          'seq': seq}).first()
    if target is None or target.seq <= target.joined_seq:
        raise NotFound(NO_MESSAGE, code=NO_MESSAGE_CODE)
    return connection, change, target, members


def _own_text(target: Any, actor_id: int, action: str) -> None:
    if target.sender_id != actor_id:
        raise Invalid(f'You can only {action} your own messages.', code='not_yours')
    if target.kind != 'text' or target.deleted_at is not None:
        raise Invalid(f'This message cannot be {"edited" if action == "edit" else "deleted"}.',
                      code='not_changeable')


def _announce(tx: Tx, connection: Connection, message_id: int, members: list[int]) -> MessageData:
    (data,) = message_data(connection, connection.execute(_READ_BACK, {'message_id': message_id}))
    tx.emit(MessageChanged(recipients=tuple(members), message=data))
    return data

