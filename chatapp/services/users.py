"""Lookups of accounts shared by the other services."""

from sqlmodel import Session, select

from chatapp.errors import NotFound
from chatapp.schemas import UserPublic
from chatapp.services.tx import Tx
from models import User
from models.user import USERNAME_MAX


def get_user(tx: Tx, *, user_id: int) -> UserPublic | None:
    """The account with this id, or None when it no longer exists (pages re-check identity with this)."""
    user = tx.session.get(User, user_id)
    return UserPublic.model_validate(user) if user else None


def require_user(session: Session, user_id: int) -> User:
    """The account row, or NotFound: for ids that came from outside the service layer."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound('That person does not exist.')
    return user


def find_by_username(session: Session, username: str) -> User | None:
    """The account with this username (any case), or None. Input straight from a URL is checked first: PostgreSQL
    refuses a NUL character with an error, and no stored username is longer than ``USERNAME_MAX``."""
    name = username.strip().lower()
    if '\x00' in name or len(name) > USERNAME_MAX:
        return None
    return session.exec(select(User).where(User.username == name)).first()
