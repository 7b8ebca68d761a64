"""The command line: ``python -m chatapp [--host H] [--port P] [--data-dir D] [--no-browser]``.

Options override ``CHATAPP_*`` variables, which override a ``.env`` file, which overrides the defaults. A bad setting
ends the program with one line on stderr and exit status 2, not a traceback: the reader is an operator, not us.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import stat
import sys
import textwrap
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

from pydantic import ValidationError

from chatapp import arenas
from chatapp.lifecycle import DRAIN_SECONDS, check_address, watch_the_stop
from chatapp.settings import Settings

T = TypeVar('T')

RECONNECT_TIMEOUT = 10.0
"""Seconds a page survives without its socket (a phone changing networks, a laptop waking up). NiceGUI replays the
missed UI updates when it comes back in time; later, the browser reloads the page, which reads the database anew."""


def run_cli(argv: list[str] | None = None) -> None:
    """Parse the command line, build the settings and the app, and serve until interrupted."""
    arenas.limit_arenas()  # before any thread starts
    args = build_parser().parse_args(argv)
    settings = load_settings(args)
    url = browser_url(settings.host, settings.port)
    # Before anything starts: uvicorn would find a busy port only after start-up, and then linger.
    _or_exit(lambda: check_address(settings.host, settings.port), f'cannot listen on {settings.host}:{settings.port}',
             OSError)
    secret = _or_exit(lambda: _prepare_data_dir(settings), f'cannot use the data folder {settings.data_dir}', OSError)

    from nicegui import Client, app, ui
    from sqlalchemy.exc import OperationalError

    from chatapp import assets, collector
    from chatapp.app import create_app
    from pages import release

    watch_the_stop()  # first, so that its shutdown hook runs before the app's
    _or_exit(lambda: create_app(settings), 'cannot open the database', OperationalError)
    app.on_startup(lambda: _announce(url))
    app.on_startup(collector.freeze_startup_objects)
    # Full collections walk only what is not frozen (collector); frozen, a closed page's cycles would stay for good,
    # so its cycles are broken (release) and what is left of closed pages is swept now and then (Sweeper). The young
    # generations are collected on a clock, so that no collection walks more than a tenth of a second's objects.
    collector.watch_collections()
    release.install()
    sweeper = collector.Sweeper()
    young = collector.YoungCollections()
    app.on_startup(young.start)
    app.on_shutdown(young.stop)
    app.on_delete(lambda: sweeper.page_closed(len(Client.instances)))
    with suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl+C after its graceful shutdown: no traceback for that
        ui.run(
            host=settings.host,
            port=settings.port,
            storage_secret=secret,
            reload=False,
            show=not args.no_browser and display_available(),
            title='chatapp',
            language='en-US',  # <html lang="en-US">: screen readers pick their voice by it
            favicon='💬',
            show_welcome_message=False,  # we print our own line, once the socket listens
            reconnect_timeout=RECONNECT_TIMEOUT,
            timeout_graceful_shutdown=DRAIN_SECONDS,  # passed on to uvicorn; without it, a stop waits for every request
            gzip_middleware_factory=cast(Any, assets.compressed_and_cached),  # NiceGUI's files compressed once
            # Behind HTTPS the session cookie must never travel over plain HTTP.
            session_middleware_kwargs={'https_only': (settings.public_origin or '').startswith('https://')},
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='python -m chatapp', description='A real-time chat web app.', epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--host', help='interface to listen on (CHATAPP_HOST)')
    parser.add_argument('--port', type=int, help='port to listen on (CHATAPP_PORT)')
    parser.add_argument('--data-dir', help='folder for the SQLite database and secret (CHATAPP_DATA_DIR)')
    parser.add_argument('--no-browser', action='store_true', help='do not open a browser; just print the URL')
    return parser


def settings_help() -> str:
    """The table of every setting, generated from ``Settings`` so it cannot drift from the code."""
    rows = [(env_name(name), _describe(field)) for name, field in Settings.model_fields.items()]
    width = max(len(name) for name, _ in rows) + 2
    lines = ['settings, read from the environment and from a .env file in the current folder '
             '(command-line options win):']
    for name, text in rows:
        lines.extend(textwrap.wrap(text, width=110, initial_indent=f'  {name:<{width}}',
                                   subsequent_indent=' ' * (width + 2)))
    return '\n'.join(lines)


def load_settings(args: argparse.Namespace) -> Settings:
    """Settings from options, environment, ``.env`` and defaults; on a bad value, one line on stderr and exit 2."""
    overrides: dict[str, Any] = {name: value for name, value in
                                 {'host': args.host, 'port': args.port, 'data_dir': args.data_dir}.items()
                                 if value is not None}
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = '; '.join(_problem(e['loc'], e['msg']) for e in error.errors())
        _fail(f'invalid setting: {problems}', status=2)


def _prepare_data_dir(settings: Settings) -> str:
    """Make the data folder ours alone and return the secret. Everything this process creates from here on (the
    database and its WAL, the sessions, the secret) is private to its owner too (umask 077)."""
    os.umask(0o077)
    private_folder(settings.data_dir)
    secret = settings.resolved_secret()
    use_session_storage(settings)
    for path in _private_files(settings):
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(0o700 if path.is_dir() else 0o600)
    return secret


def private_folder(path: Path) -> None:
    """Create ``path`` with mode 0700, or tighten an existing folder to 0700: it holds password hashes, messages and
    the secret. A folder shared by design (sticky, like /tmp) or another user's is refused rather than changed."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid != os.geteuid():
        raise PermissionError(f'it belongs to another user (uid {info.st_uid}); use a folder of your own')
    if info.st_mode & stat.S_ISVTX:
        raise PermissionError('it is a shared folder (like /tmp); use a folder of its own inside it')
    if info.st_mode & 0o077:
        path.chmod(0o700)


def _private_files(settings: Settings) -> list[Path]:
    """What an earlier run (or an older chatapp) may have left readable by others: the SQLite database with its
    WAL and shared-memory files (wherever the URL puts it), the secret, and the session files."""
    from sqlalchemy.engine import make_url

    paths = [settings.data_dir / 'secret.key', settings.data_dir / 'sessions']
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == 'sqlite' and url.database and url.database != ':memory:':
        paths += [Path(url.database + suffix) for suffix in ('', '-wal', '-shm')]
    sessions = settings.data_dir / 'sessions'
    if sessions.is_dir():
        paths += sessions.glob('storage-*.json')
    return paths


def use_session_storage(settings: Settings) -> None:
    """Keep NiceGUI's per-browser storage in ``data_dir/sessions`` (not ``.nicegui`` in the current folder), or in
    Redis when configured, so processes behind a sticky load balancer share it. Must precede ``ui.run``."""
    from nicegui import app
    from nicegui.storage import Storage

    Storage.path = (settings.data_dir / 'sessions').resolve()
    Storage.path.mkdir(mode=0o700, parents=True, exist_ok=True)
    Storage.redis_url = settings.redis_url or None
    Storage.redis_key_prefix = f'{settings.redis_prefix}:nicegui:'
    app.storage = Storage()  # the one built at import has the old path; this is what NiceGUI's test fixtures do
    app.storage.general.initialize_sync()


def browser_url(host: str, port: int) -> str:
    """The URL to open: a wildcard address is reachable as localhost."""
    if host in {'0.0.0.0', '::', ''}:  # noqa: S104  (recognising the wildcard, not binding to it)
        host = 'localhost'
    elif ':' in host:
        host = f'[{host}]'
    return f'http://{host}:{port}'


def display_available() -> bool:
    """Whether opening a browser can work: always on macOS and Windows, on Linux only inside a graphical session."""
    if sys.platform in {'darwin', 'win32'}:
        return True
    return bool(os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY'))


def env_name(field: str) -> str:
    return f'CHATAPP_{field.upper()}'


async def _announce(url: str) -> None:
    """Print the URL once uvicorn has bound its socket (start-up handlers run before that)."""
    from nicegui.server import Server

    while not Server.instance.started:  # noqa: ASYNC110  (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.05)
    print(f'chatapp is running on {url}', flush=True)


def _describe(field: Any) -> str:
    text = field.description or ''
    if field.default_factory is not None:
        return f'{text} (default: {field.default_factory()})'
    if field.default is not None:
        return f'{text} (default: {field.default})'
    return text


def _problem(loc: tuple[int | str, ...], msg: str) -> str:
    """``CHATAPP_PORT: Input should be ...``; never the value itself, which may be a secret."""
    msg = msg.removeprefix('Value error, ')
    name = env_name(str(loc[0])) if loc else 'settings'
    return msg if msg.startswith(name) else f'{name}: {msg}'


def _or_exit(action: Callable[[], T], what: str, errors: type[Exception]) -> T:
    """Run ``action``; turn a failure an operator can fix (an unusable folder, an unreachable database) into one line
    on stderr and exit status 1."""
    try:
        return action()
    except errors as error:
        detail = getattr(error, 'orig', None) or error  # SQLAlchemy wraps the driver's own, clearer message
        _fail(f'{what}: {str(detail).strip().splitlines()[0]}', status=1)


def _fail(message: str, *, status: int) -> NoReturn:
    print(f'chatapp: {message}', file=sys.stderr)
    raise SystemExit(status)
