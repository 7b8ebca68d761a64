"""The socket.io messages NiceGUI's handlers read, as they must look before a handler sees them.

NiceGUI indexes into every message without checking it; a list, a string or a missing key raised a traceback per
message ("Task exception was never retrieved"). A page's ``log`` message is also the one place where a client writes
its own text into the server log, so it is tamed here.
"""

from __future__ import annotations

from typing import Any

LOG_LEVELS = {'debug': 'debug', 'info': 'info', 'warning': 'warning', 'error': 'warning'}
"""A page may not log at ERROR: that level is for the server's own failures (and fails the test suite)."""
LOG_CHARS = 300


def well_formed(name: str, msg: Any) -> bool:
    """Whether ``msg`` has the fields and types NiceGUI's handler of the message ``name`` reads."""
    if not isinstance(msg, dict) or not isinstance(msg.get('client_id'), str):
        return False
    if name == 'handshake':
        return isinstance(msg.get('tab_id'), str) and isinstance(msg.get('document_id'), str) \
            and isinstance(msg.get('old_tab_id'), str | None) and _is_count(msg.get('next_message_id'), optional=True)
    if name == 'event':
        args = msg.get('args', [])
        return type(msg.get('id')) is int and isinstance(msg.get('listener_id'), str) and isinstance(args, list) \
            and all(isinstance(arg, str | None) for arg in args)
    if name == 'javascript_response':
        return isinstance(msg.get('request_id'), str)
    if name == 'ack':
        return _is_count(msg.get('next_message_id'))
    if name == 'log':
        return msg.get('level') in LOG_LEVELS and isinstance(msg.get('message'), str)
    return True


def tamed_log(msg: dict[str, Any]) -> dict[str, Any]:
    """A page's log message at WARNING at most, on one line (``repr`` escapes newlines and control characters),
    cut to ``LOG_CHARS``: a page cannot forge a second log line or flood the log."""
    level, text = msg['level'], msg['message']
    shown = repr(text[:LOG_CHARS]) + (f' (+{len(text) - LOG_CHARS} characters)' if len(text) > LOG_CHARS else '')
    return {**msg, 'level': LOG_LEVELS[level], 'message': f'browser log ({level}): {shown}'}


def _is_count(value: Any, *, optional: bool = False) -> bool:
    """A message number: an int, or the digits of one (the implicit handshake reads it from the query string)."""
    if value is None:
        return optional
    return (type(value) is int and value >= 0) or (isinstance(value, str) and value.isascii() and value.isdigit())
