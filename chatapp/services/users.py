"""Lookups of accounts shared by the other services."""

from sqlmodel import Session, col, select

from chatapp.errors import NotFound
from chatapp.schemas import Account
from chatapp.services.tx import Tx, reads_only
from models import User
from models.user import USERNAME_MAX


@reads_only
def get_user(tx: Tx, *, user_id: int) -> Account | None:
    """The account with this id and its session epoch, or None when it does not exist or was deleted (pages
    re-check identity with this at every load, and compare the epoch with their browser's proof)."""
    user = tx.session.get(User, user_id)
    return Account.model_validate(user) if user is not None and user.deleted_at is None else None


def require_user(session: Session, user_id: int) -> User:
    """The account row, or NotFound: for ids that came from outside the service layer. A deleted account is not
    found either: its row stays only so that its messages keep a sender."""
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound('That person does not exist.')
    return user


def find_by_username(session: Session, username: str) -> User | None:
    """The account with this username (any case), or None; never a deleted account. Input straight from a URL is
    checked first: PostgreSQL refuses a NUL character with an error, and no stored username is longer than
    ``USERNAME_MAX``."""
    name = username.strip().lower()
    if '\x00' in name or len(name) > USERNAME_MAX:
        return None
    return session.exec(select(User).where(User.username == name, col(User.deleted_at).is_(None))).first()
