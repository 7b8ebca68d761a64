"""The chat page: ``window`` decides which messages show, ``outbox`` what is still to send, ``composer`` is the box,
``view`` renders them, ``page`` is the route."""

from pages.chat.page import register

__all__ = ['register']
