"""A person's privacy choices: read receipts and presence, both reciprocal (who hides theirs sees nobody's).

Events: none. ``read_receipts`` is read whenever receipts are computed or a read position moves
(``services.reads``), so a change applies from the next read on; views already open keep the receipts they show until
they reopen. ``show_presence`` is read by the presence path (``chatapp.ephemeral``): the page that calls
``set_privacy`` tells it of a change there, so presence is re-announced (or hidden) at once. This service emits
nothing itself, because presence is ephemeral and never travels with a database transaction.
"""

from __future__ import annotations

from chatapp.errors import Invalid
from chatapp.schemas import Privacy
from chatapp.services.tx import Tx, reads_only
from chatapp.services.users import require_user
from models import User


@reads_only
def get_privacy(tx: Tx, *, actor_id: int) -> Privacy:
    """The actor's choices."""
    return _privacy(require_user(tx.session, actor_id))


def set_privacy(tx: Tx, *, actor_id: int, read_receipts: bool | None = None,
                show_presence: bool | None = None) -> Privacy:
    """Change the choices given (``None`` keeps one as it is); returns them all as stored."""
    if any(value is not None and not isinstance(value, bool) for value in (read_receipts, show_presence)):
        raise Invalid('A privacy setting is either on or off.', code='bad_setting')
    user = require_user(tx.session, actor_id)
    if read_receipts is not None:
        user.read_receipts = read_receipts
    if show_presence is not None:
        user.show_presence = show_presence
    tx.session.add(user)
    tx.session.flush()
    return _privacy(user)


def _privacy(user: User) -> Privacy:
    return Privacy(read_receipts=user.read_receipts, show_presence=user.show_presence)
