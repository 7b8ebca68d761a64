"""The errors services raise. Each carries a message written for the person using the app.

Pages catch ``ChatError`` and show ``str(error)`` in the page; anything else is a bug and is logged, never shown.
"""


class ChatError(Exception):
    """A refusal the user can understand and act upon."""


class NotFound(ChatError):
    """The thing asked for does not exist, or the actor may not know that it does."""


class PermissionDenied(ChatError):
    """The actor may not do this."""


class Conflict(ChatError):
    """The request clashes with the current state (a duplicate, an existing friendship)."""


class Invalid(ChatError):
    """The input breaks a rule (too long, empty, wrong characters)."""


class Throttled(ChatError):
    """Too many attempts; ``retry_after`` says how many seconds to wait."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
