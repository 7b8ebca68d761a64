"""The errors services raise. Each carries a message written for the person using the app and a stable ``code``.

Pages catch ``ChatError`` and show ``str(error)`` in the page; anything else is a bug and is logged, never shown.
Code that reacts to a refusal branches on ``code`` (or the class), never on the wording of the message.
"""


class ChatError(Exception):
    """A refusal the user can understand and act upon."""

    default_code = 'refused'

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code or self.default_code


class NotFound(ChatError):
    """The thing asked for does not exist, or the actor may not know that it does."""

    default_code = 'not_found'


class Conflict(ChatError):
    """The request clashes with the current state (a duplicate, an existing friendship)."""

    default_code = 'conflict'


class Invalid(ChatError):
    """The input breaks a rule (too long, empty, wrong characters)."""

    default_code = 'invalid'


class Throttled(ChatError):
    """Too many attempts; ``retry_after`` says how many seconds to wait."""

    default_code = 'throttled'

    def __init__(self, message: str, retry_after: int, *, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after
