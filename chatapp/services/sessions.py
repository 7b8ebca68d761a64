"""Sessions: changing the password and signing out everywhere, both by moving the account's session epoch.

A browser's proof of an account records the account's ``session_epoch`` at login (``pages.identity``); a proof of an
older epoch no longer counts. Each page load compares the two (the load reads the account anyway), and the open
pages of the account hear ``SessionsEnded`` and go to the login page, so no action pays a query for it.

Events: ``SessionsEnded`` to the account alone, naming the new epoch and (for a password change) the browser that
stays signed in.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col

from chatapp.errors import Invalid
from chatapp.events import SessionsEnded
from chatapp.security.hashing import hashes_passwords
from chatapp.services import accounts
from chatapp.services.tx import Tx
from chatapp.services.users import require_user
from models import User

WRONG_CURRENT = 'Your current password is not right.'
WRONG_CURRENT_CODE = 'wrong_password'


@hashes_passwords
def change_password(tx: Tx, *, actor_id: int, old_password: str, new_password: str, client_key: str,
                    kept: str | None = None) -> int:
    """Replace the actor's password after checking the current one (``Invalid`` with ``code='wrong_password'``,
    throttled as logins are); the new one follows the sign-up rules. Every browser signed in as the actor is
    signed out, except the one tagged ``kept`` (the one asking, which stores the returned epoch in its proof)."""
    accounts.check_password(new_password)
    if new_password == old_password:
        raise Invalid('Choose a new password that differs from the current one.', code='same_password')
    verify_own_password(tx, actor_id=actor_id, password=old_password, client_key=client_key)
    tx.session.commit()  # end the read: no connection is held while argon2 works
    new_hash = tx.deps.hasher.hash(new_password)
    tx.session.exec(update(User).where(col(User.id) == actor_id)
                    .values(password_hash=new_hash))
    return bump_epoch(tx, actor_id, kept=kept)


def sign_out_everywhere(tx: Tx, *, actor_id: int) -> int:
    """Sign the actor out of every browser, this one included; returns the new epoch."""
    require_user(tx.session, actor_id)
    return bump_epoch(tx, actor_id)


def verify_own_password(tx: Tx, *, actor_id: int, password: str, client_key: str) -> None:
    """``Invalid`` (``code='wrong_password'``) unless ``password`` is the actor's. It is a login of the actor's
    username (``accounts.authenticate``): the same throttling, shared with logins, so this cannot be used to guess
    the password faster than the login page allows; a ``Throttled`` passes through. Commits the attempt."""
    user = require_user(tx.session, actor_id)
    tx.session.commit()
    try:
        accounts.authenticate(tx, username=user.username, password=password, client_key=client_key)
    except Invalid:
        raise Invalid(WRONG_CURRENT, code=WRONG_CURRENT_CODE) from None


def bump_epoch(tx: Tx, user_id: int, *, kept: str | None = None) -> int:
    """Move ``user_id``'s session epoch on by one (atomically: two concurrent bumps give two epochs) and tell their
    open pages; returns the new epoch."""
    epoch = tx.session.exec(update(User).where(col(User.id) == user_id)
                            .values(session_epoch=col(User.session_epoch) + 1)
                            .returning(col(User.session_epoch))).scalar_one()
    tx.emit(SessionsEnded(recipients=(user_id,), user_id=user_id, epoch=epoch, kept=kept))
    return int(epoch)
