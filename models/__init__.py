"""SQLModel tables, one concept a module. Importing this package registers every table on ``SQLModel.metadata``."""

from models.attachment import Attachment
from models.blocking import Blocking
from models.conversation import Conversation, ConversationKind, ConversationMember, MemberRole
from models.friendship import Friendship, FriendshipStatus
from models.login_failure import LoginFailure
from models.message import Message, MessageKind
from models.reaction import REACTIONS, Reaction
from models.user import User

__all__ = [
    'REACTIONS',
    'Attachment',
    'Blocking',
    'Conversation',
    'ConversationKind',
    'ConversationMember',
    'Friendship',
    'FriendshipStatus',
    'LoginFailure',
    'MemberRole',
    'Message',
    'MessageKind',
    'Reaction',
    'User',
]
