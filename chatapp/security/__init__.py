"""What keeps chatapp safe: password hashing, signed tokens and response headers."""

from chatapp.security.hashing import PasswordHasher, hashing_slots
from chatapp.security.headers import SecurityHeaders
from chatapp.security.tokens import Payload, TokenSigner

__all__ = ['PasswordHasher', 'Payload', 'SecurityHeaders', 'TokenSigner', 'hashing_slots']
