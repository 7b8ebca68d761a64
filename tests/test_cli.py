"""``python -m chatapp``: its help, its refusal of bad settings, the generated secret and a real start."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from chatapp.cli import browser_url, display_available
from chatapp.settings import Settings
from tests.concurrency import together

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0


def test_help_lists_every_setting(tmp_path: Path) -> None:
    result = run_chatapp(['--help'], cwd=tmp_path)
    assert result.returncode == 0
    for name in Settings.model_fields:
        assert f'CHATAPP_{name.upper()}' in result.stdout
    for expected in ['CHATAPP_DATABASE_URL', 'CHATAPP_REDIS_URL', 'CHATAPP_SECRET', 'CHATAPP_PORT', '.env',
                     '--no-browser', '--host', '--port', '--data-dir', '(default: 8080)']:
        assert expected in result.stdout


@pytest.mark.parametrize(('env', 'args', 'named'), [
    ({'CHATAPP_PORT': '0'}, [], 'CHATAPP_PORT'),
    ({'CHATAPP_PORT': 'eighty'}, [], 'CHATAPP_PORT'),
    ({'CHATAPP_SECRET': 'changeme'}, [], 'CHATAPP_SECRET'),
    ({'CHATAPP_SECRET': 'short-but-not-a-placeholder'}, [], 'CHATAPP_SECRET'),
    ({}, ['--port', '70000'], 'CHATAPP_PORT'),
])
def test_an_invalid_setting_stops_with_one_clear_line(tmp_path: Path, env: dict[str, str], args: list[str],
                                                        named: str) -> None:
    result = run_chatapp(['--no-browser', '--data-dir', str(tmp_path), *args], cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert 'Traceback' not in result.stderr
    assert result.stderr.startswith('chatapp: invalid setting')
    assert named in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    for value in env.values():
        assert value not in result.stderr  # a rejected secret is still somebody's secret


def test_no_repr_and_no_help_shows_a_secret(tmp_path: Path) -> None:
    secret = 'the-secret-that-signs-every-session-' + 'x' * 8
    password_url = 'postgresql+psycopg://chat:database-password@127.0.0.1/chat'
    settings = Settings(data_dir=tmp_path, secret=secret, database_url=password_url,
                        redis_url='redis://:redis-password@127.0.0.1:6379/0')
    assert settings.resolved_secret() == secret
    for shown in [repr(settings), str(settings), repr(settings.model_dump()['secret'])]:
        for private in [secret, 'database-password', 'redis-password']:
            assert private not in shown
    result = run_chatapp(['--help'], cwd=tmp_path, env={'CHATAPP_SECRET': secret, 'CHATAPP_DATABASE_URL': password_url})
    assert result.returncode == 0
    assert secret not in result.stdout + result.stderr
    assert 'database-password' not in result.stdout + result.stderr


def test_the_generated_secret_is_private_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / 'data', secret=None)
    first = settings.resolved_secret()
    path = tmp_path / 'data' / 'secret.key'
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path / 'data', secret=None).resolved_secret() == first
    assert [p.name for p in (tmp_path / 'data').iterdir()] == ['secret.key']  # no temporary file left behind


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    for round_ in range(10):
        folder = tmp_path / f'data{round_}'
        outcomes = together([lambda folder=folder: Settings(data_dir=folder, secret=None).resolved_secret()] * 4)
        assert len(set(outcomes)) == 1, outcomes
        assert isinstance(outcomes[0], str) and len(outcomes[0]) >= 32


@pytest.mark.parametrize(('redis_url', 'expected'), [
    ('', 'FilePersistentDict {data_dir}/sessions/storage-general.json'),
    ('redis://127.0.0.1:1/0', 'RedisPersistentDict team-a:nicegui:general'),  # nothing listens: loading only warns
])
def test_sessions_live_in_the_data_folder_or_in_redis(tmp_path: Path, redis_url: str, expected: str) -> None:
    """Run in a fresh interpreter: replacing ``app.storage`` here would leak into the page tests."""
    code = '\n'.join([
        'from nicegui import app',
        'from chatapp.cli import use_session_storage',
        'from chatapp.settings import Settings',
        f'use_session_storage(Settings(data_dir={str(tmp_path)!r}, redis_url={redis_url!r}, redis_prefix="team-a"))',
        'general = app.storage.general',
        'print(type(general).__name__, getattr(general, "key", None) or getattr(general, "filepath", None))',
    ])
    result = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, env=clean_env({}), capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected.format(data_dir=tmp_path.resolve())


@pytest.mark.parametrize(('host', 'url'), [
    ('127.0.0.1', 'http://127.0.0.1:8080'),
    ('0.0.0.0', 'http://localhost:8080'),  # noqa: S104
    ('::', 'http://localhost:8080'),
    ('::1', 'http://[::1]:8080'),
    ('chat.local', 'http://chat.local:8080'),
])
def test_the_printed_url_is_one_a_browser_can_open(host: str, url: str) -> None:
    assert browser_url(host, 8080) == url


@pytest.mark.skipif(sys.platform in {'darwin', 'win32'}, reason='a browser can always be opened there')
def test_no_browser_without_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    assert not display_available()
    monkeypatch.setenv('WAYLAND_DISPLAY', 'wayland-0')
    assert display_available()


def test_a_real_start_serves_pages_and_keeps_the_database_in_wal_mode(tmp_path: Path) -> None:
    data_dir = tmp_path / 'data'
    port = free_port()
    env = {'CHATAPP_DATA_DIR': str(tmp_path / 'ignored'), 'CHATAPP_ARGON2_MEMORY_KIB': '1024'}
    with started_chatapp(['--no-browser', '--port', str(port), '--data-dir', str(data_dir)], tmp_path, env) as app:
        assert app.wait_for_page(f'http://127.0.0.1:{port}/login') in {200, 301, 302, 303, 307, 308}
        app.wait_for_output(f'chatapp is running on http://127.0.0.1:{port}')
        database = data_dir / 'chatapp.db'
        assert database.exists()
        with sqlite3.connect(database) as connection:
            assert connection.execute('PRAGMA journal_mode').fetchone()[0] == 'wal'
        assert (data_dir / 'sessions').is_dir()
        assert (data_dir / 'secret.key').stat().st_mode & 0o777 == 0o600
        assert data_dir.stat().st_mode & 0o777 == 0o700  # hashes and messages: for our eyes only
        assert not (tmp_path / 'ignored').exists()  # the option beats the environment
    assert 'Traceback' not in app.output(), app.output()


def run_chatapp(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, '-m', 'chatapp', *args], cwd=cwd, env=clean_env(env or {}),
                          capture_output=True, text=True, timeout=60, check=False)


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """The test's environment without its ``CHATAPP_*`` variables (the ``app_env`` fixture sets some), without the
    pytest markers that switch NiceGUI into test mode, without a display (so no browser opens), and with the project
    importable from any folder."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('CHATAPP_', 'NICEGUI_', 'PYTEST_')) and key not in {'DISPLAY', 'WAYLAND_DISPLAY'}}
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(ROOT), env.get('PYTHONPATH')]))
    return {**env, **extra}


@dataclass
class Running:
    """A ``python -m chatapp`` process whose output goes to a file."""

    process: subprocess.Popen[bytes]
    out: Path

    def output(self) -> str:
        return self.out.read_text(encoding='utf-8')

    def wait_for_page(self, url: str) -> int:
        """The status of the first answer from ``url`` (redirects not followed), once the server listens."""
        opener = urllib.request.build_opener(NoRedirect)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f'chatapp exited early:\n{self.output()}')
            try:
                with opener.open(url, timeout=5) as response:
                    return int(response.status)
            except urllib.error.HTTPError as error:
                return error.code
            except OSError:
                time.sleep(0.2)
        pytest.fail(f'{url} did not answer within {START_TIMEOUT} s:\n{self.output()}')

    def wait_for_output(self, text: str) -> None:
        deadline = time.monotonic() + 5
        while text not in self.output():
            if time.monotonic() > deadline:
                pytest.fail(f'{text!r} was not printed:\n{self.output()}')
            time.sleep(0.1)


@contextmanager
def started_chatapp(args: list[str], cwd: Path, env: dict[str, str]) -> Iterator[Running]:
    """Run ``python -m chatapp``; stop it with Ctrl+C however the test ends, and expect a clean exit."""
    out = cwd / 'chatapp.out'
    with out.open('w', encoding='utf-8') as sink:
        process = subprocess.Popen([sys.executable, '-m', 'chatapp', *args], cwd=cwd, env=clean_env(env),
                                   stdout=sink, stderr=subprocess.STDOUT)
        try:
            yield Running(process, out)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert process.returncode == 0, out.read_text(encoding='utf-8')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize('with_redis', [False, True])
def test_a_busy_port_stops_at_once_with_one_line(tmp_path: Path, redis_url: str, with_redis: bool) -> None:
    env = {'CHATAPP_REDIS_URL': redis_url} if with_redis else {}
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_chatapp(['--no-browser', '--port', str(port), '--data-dir', str(tmp_path / 'data')], cwd=tmp_path,
                             env=env)
    assert result.returncode == 1
    assert result.stderr == f'chatapp: cannot listen on 127.0.0.1:{port}: [Errno 98] Address already in use\n'
    assert not (tmp_path / 'data').exists()  # refused before anything was created


def test_a_port_taken_after_the_check_still_ends_the_process(tmp_path: Path, redis_url: str) -> None:
    """The race: another program takes the port between our check and uvicorn's bind. uvicorn then runs the shutdown
    handlers, and one that waited on the Redis listener used to keep the process alive, deaf to SIGTERM."""
    code = 'import sys, chatapp.cli as cli; cli.check_address = lambda host, port: None; cli.run_cli(sys.argv[1:])'
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, '-c', code, '--no-browser', '--port', str(port), '--data-dir',
                                 str(tmp_path / 'data')], cwd=tmp_path, env=clean_env({'CHATAPP_REDIS_URL': redis_url}),
                                capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1, result.stderr
    assert 'address already in use' in result.stderr
    assert 'Traceback' not in result.stderr


def test_a_loose_data_folder_is_made_private(tmp_path: Path) -> None:
    """A folder made by hand, or by an older chatapp, with the usual umask: everyone could read the database."""
    data_dir = tmp_path / 'data'
    (data_dir / 'sessions').mkdir(parents=True)
    loose = [data_dir / 'secret.key', data_dir / 'sessions' / 'storage-user-1.json']
    for path in loose:
        path.write_text('{}' if path.suffix == '.json' else 'an-old-secret-that-is-long-enough-' + 'z' * 10)
    with sqlite3.connect(data_dir / 'chatapp.db') as connection:
        connection.execute('PRAGMA journal_mode=WAL')
        connection.execute('CREATE TABLE kept (x INTEGER)')
    for path in [data_dir, data_dir / 'sessions']:
        path.chmod(0o755)
    for path in [*loose, data_dir / 'chatapp.db']:
        path.chmod(0o644)
    port = free_port()
    with started_chatapp(['--no-browser', '--port', str(port), '--data-dir', str(data_dir)], tmp_path,
                         {'CHATAPP_ARGON2_MEMORY_KIB': '1024'}) as app:
        app.wait_for_page(f'http://127.0.0.1:{port}/login')
        modes = {path.relative_to(tmp_path).as_posix(): path.stat().st_mode & 0o777
                 for path in [data_dir, *data_dir.rglob('*')] if path.name != 'chatapp.out'}
    assert modes['data'] == 0o700
    assert modes['data/sessions'] == 0o700
    others = {name: oct(mode) for name, mode in modes.items() if name not in {'data', 'data/sessions'}}
    assert {'data/chatapp.db', 'data/secret.key', 'data/sessions/storage-user-1.json'} <= set(others)
    assert all(mode == '0o600' for mode in others.values()), others  # the WAL and shm files too


def test_a_shared_folder_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / 'shared'
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp: everyone may create files in it, so tightening it would break others
    result = run_chatapp(['--no-browser', '--port', str(free_port()), '--data-dir', str(shared)], cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f'chatapp: cannot use the data folder {shared}: it is a shared folder')
    assert len(result.stderr.strip().splitlines()) == 1
    assert shared.stat().st_mode & 0o7777 == 0o1777
    assert list(shared.iterdir()) == []
