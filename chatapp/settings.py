"""Configuration: one pydantic-settings class read from ``CHATAPP_*`` variables and an optional ``.env`` file.

Zero configuration must work, so every field has a safe default except the secret, which is generated once per data
folder (file mode 0600) rather than shipped: a secret in the source would be everybody's secret.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chatapp.security.limiter import RateSpec

MIN_SECRET_LENGTH = 32
"""Shorter secrets are refused: that also refuses every placeholder people type ('changeme', 'secret', 'dev')."""


def default_data_dir() -> Path:
    """Where a zero-configuration run keeps its database and secret: the XDG data folder."""
    base = os.environ.get('XDG_DATA_HOME') or Path.home() / '.local' / 'share'
    return Path(base) / 'chatapp'


class Settings(BaseSettings):
    """Everything an operator may set; ``python -m chatapp --help`` prints this table."""

    model_config = SettingsConfigDict(env_prefix='CHATAPP_', env_file='.env', extra='ignore')

    data_dir: Path = Field(default_factory=default_data_dir, description='folder for the SQLite database and secret')
    # repr=False: a URL may carry a password, and a repr of the settings may end up in a log.
    database_url: str | None = Field(None, repr=False,
                                     description='SQLAlchemy URL; default: SQLite in the data folder')
    redis_url: str | None = Field(None, repr=False,
                                  description='Redis URL; set it to run several processes side by side')
    redis_prefix: str = Field('chatapp', description='prefix of every Redis key and channel this app uses')
    host: str = Field('127.0.0.1', description='interface to listen on')
    port: int = Field(8080, ge=1, le=65535, description='port to listen on')
    secret: SecretStr | None = Field(  # SecretStr: no repr, log line or traceback shows it
        None, description='secret that signs session cookies; default: a generated file')
    public_origin: str | None = Field(
        None, description='origin browsers use (https://chat.example.com) when behind a proxy; default: same host')
    argon2_memory_kib: int = Field(19456, ge=1024, description='argon2id memory cost in KiB (OWASP minimum 19 MiB)')
    argon2_time_cost: int = Field(2, ge=1, description='argon2id iterations')
    login_max_failures: int = Field(
        5, ge=1, description='failed logins per username in the window, after which logins wait (4x per client)')
    login_window_seconds: int = Field(300, ge=1, description='window in which failed logins are counted')
    socket_events_per_second: float = Field(
        30, gt=0, description="socket messages one page's socket may send a second, in bursts of twice that; "
                              'a socket that keeps sending faster is closed')
    max_group_members: int = Field(256, ge=2, le=10_000, description='members one group may have at most')
    limit_messages: RateSpec = Field(
        # A person pasting 20 prepared lines with Enter after each sends them within a second: a burst of 30 lets
        # that through, while 120 a minute still stops a flood after 30 messages.
        '30/10s,120/min',
        description='messages one account may send: bursts of 30, then about 2 a second ("off": none)')
    limit_messages_per_address: RateSpec = Field(
        '30/s,1000/min', description='messages from one client address, all its accounts together')
    limit_friend_requests: RateSpec = Field(
        '10/min,100/day', description='friend requests sent, cancelled and friends removed, per account')
    limit_friend_requests_per_address: RateSpec = Field(
        '30/min,1000/day', description='friend requests sent, cancelled and friends removed, per client address')
    limit_friend_answers: RateSpec = Field(
        '5/s,120/min', description='friend requests accepted or declined, per account')
    limit_friend_answers_per_address: RateSpec = Field(
        '20/s,1000/min', description='friend requests accepted or declined, per client address')
    limit_searches: RateSpec = Field('5/s,60/min', description='people searches (each page of results), per account')
    limit_searches_per_address: RateSpec = Field('20/s,600/min', description='people searches per client address')
    limit_signups_per_address: RateSpec = Field('10/h,50/day', description='accounts created per client address')
    limit_group_changes: RateSpec = Field(
        # Each change is a timeline event for up to 256 members: a script toggling a member in and out must not
        # become a flood for all of them.
        '10/10s,60/min', description='groups created, members added, removed or made admin, and renames, per account')
    limit_group_changes_per_address: RateSpec = Field(
        '30/10s,300/min', description='the same, per client address')
    limit_uploads: RateSpec = Field(
        # Each upload can be 10 MB of bytes to receive, hash and store, and a picture seconds of decoding.
        '10/min,100/h', description='pictures and files uploaded, per account (checked before the bytes are read)')
    limit_uploads_per_address: RateSpec = Field('30/min,300/h', description='the same, per client address')
    limit_avatars: RateSpec = Field(
        # Each can be 5 MB to receive and a picture to decode on the shared picture threads; a person tries a few.
        '5/min,30/h', description='profile pictures uploaded, per account (checked before the bytes are read)')
    limit_avatars_per_address: RateSpec = Field('20/min,100/h', description='the same, per client address')
    max_upload_mb: int = Field(
        10, ge=1, le=1024, description='largest file or picture one upload may carry, in MiB (cut off on the server '
                                       'as the bytes arrive)')
    quota_mb: int = Field(500, ge=1, description="storage one account's files and pictures may take, in MiB")
    dormant_after_seconds: float = Field(
        600, ge=0, description='seconds a chat page may stay hidden (another tab, a minimised window) before it rests: '
                               'the server drops everything it drew and keeps the title count and the toasts; the '
                               'page is drawn afresh the moment it shows again. 0: pages never rest')
    presence_grace_seconds: float = Field(
        5, ge=0, description='seconds after the last page of a person closes before they show offline (a reload '
                             'within it does not flicker)')
    presence_ttl_seconds: float = Field(
        30, ge=1, description='with Redis: seconds a process vouches for its people online; it renews that every '
                              'third of it, and a process that dies has its people offline within about 4/3 of it')

    @field_validator('secret')
    @classmethod
    def _refuse_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f'CHATAPP_SECRET must be a random string of at least {MIN_SECRET_LENGTH} characters')
        return value

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file inside the data folder."""
        return self.database_url or f'sqlite:///{self.data_dir / "chatapp.db"}'

    def resolved_secret(self) -> str:
        """The configured secret, or one generated once and kept in ``data_dir/secret.key`` readable by us alone."""
        if self.secret:
            return self.secret.get_secret_value()
        path = self.data_dir / 'secret.key'
        if path.exists():
            return path.read_text(encoding='utf-8').strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Written whole to a private temporary file, then linked into place: linking fails if the file exists, so of
        # two processes starting together on one folder, one creates the secret and the other reads it complete.
        fd, temporary = tempfile.mkstemp(dir=self.data_dir, prefix='.secret-')
        try:
            with os.fdopen(fd, 'w', encoding='utf-8') as file:  # mkstemp creates it with mode 0600
                file.write(secrets.token_urlsafe(48))
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
        return path.read_text(encoding='utf-8').strip()
