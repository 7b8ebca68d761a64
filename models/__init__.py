"""SQLModel tables, one concept a module. Importing this package registers every table on ``SQLModel.metadata``."""

from models.conversation import Conversation, ConversationMember
from models.friendship import Friendship, FriendshipStatus
from models.login_failure import LoginFailure
from models.message import Message
from models.user import User

__all__ = [
    'Conversation',
    'ConversationMember',
    'Friendship',
    'FriendshipStatus',
    'LoginFailure',
    'Message',
    'User',
]
