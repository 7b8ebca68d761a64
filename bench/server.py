"""The app under test: ``python -m chatapp`` in a subprocess on a free loopback port, and what it costs in memory."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from chatapp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 60
STOP_SECONDS = 10

LIFTED_LIMITS: dict[str, str] = {
    **{f'CHATAPP_LIMIT_{rule}{scope}': 'off' for rule in ('MESSAGES', 'FRIEND_REQUESTS', 'FRIEND_ANSWERS', 'SEARCHES',
                                                            'GROUP_CHANGES', 'UPLOADS', 'AVATARS')
       for scope in ('', '_PER_ADDRESS')},
    'CHATAPP_LIMIT_SIGNUPS_PER_ADDRESS': 'off',
    'CHATAPP_SOCKET_EVENTS_PER_SECOND': '1000000',
}
"""The app's protections against one account or one socket sending too much, set far above what any scenario sends:
every scenario runs with these except the flood (h), which measures the defaults. The one place they are set."""


def lifted_limits() -> dict[str, str]:
    """``LIFTED_LIMITS``, checked against the app's settings both ways: a limit renamed or added in the app would
    otherwise stay on, unnoticed, and throttle the load it was lifted for."""
    known = {f'CHATAPP_{name.upper()}' for name in Settings.model_fields}
    if unknown := sorted(set(LIFTED_LIMITS) - known):
        raise AppFailed(f'bench.server.LIFTED_LIMITS names settings the app does not have: {", ".join(unknown)}')
    if unlifted := sorted(name for name in known - set(LIFTED_LIMITS) if name.startswith('CHATAPP_LIMIT_')):
        raise AppFailed(f'the app has limits that bench.server.LIFTED_LIMITS does not lift: {", ".join(unlifted)}')
    return dict(LIFTED_LIMITS)


class AppFailed(RuntimeError):
    """The app exited or did not answer; the message carries its output."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def random_secret() -> str:
    return secrets.token_urlsafe(30)[:40]


@dataclass
class AppProcess:
    """``python -m chatapp`` on a free port, its output going to ``log_path``. ``env`` holds the ``CHATAPP_*``
    settings; none are inherited from the caller's environment, so a run is exactly what its command line says."""

    data_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None
    _profiler: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    @property
    def log_path(self) -> Path:
        return self.data_dir / 'app.log'

    def launch(self) -> None:
        """Start the process (in a session of its own, so that stopping it also ends any worker it spawned)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open('wb')
        command = [sys.executable, '-m', 'chatapp', '--no-browser', '--port', str(self.port),
                   '--data-dir', str(self.data_dir)]
        self.process = subprocess.Popen(command, cwd=self.data_dir, env=self._full_env(), stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def start_profile(self, path: Path) -> None:
        """Sample the process with py-spy into ``path`` (collapsed stacks, which ``python -m bench.hotspots``
        reads) until ``stop_profile``; ``BENCH_PYSPY_RATE`` samples a second (250 unless set: a higher rate sees
        more of a short scenario such as a, and costs the app more)."""
        assert self.process is not None
        rate = os.environ.get('BENCH_PYSPY_RATE', '250')
        self._profiler = subprocess.Popen(
            [str(Path(sys.executable).with_name('py-spy')), 'record', '--pid', str(self.process.pid), '--rate', rate,
             '--gil', '--format', 'raw', '--output', str(path), '--nonblocking'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log)

    def stop_profile(self) -> None:
        if self._profiler is not None:
            self._profiler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            try:
                self._profiler.wait(30)
            except subprocess.TimeoutExpired:
                self._profiler.kill()
            self._profiler = None

    def wait_ready(self) -> None:
        """Wait until ``/login`` answers 200; raise ``AppFailed`` with the app's output if it does not in time."""
        assert self.process is not None
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AppFailed(f'the app exited with code {self.process.returncode} while starting:\n{self.output()}')
            try:
                with urllib.request.urlopen(f'{self.base_url}/login', timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise AppFailed(f'the app did not answer {self.base_url}/login within {START_SECONDS} s:\n{self.output()}')

    def stop(self) -> None:
        """SIGTERM, up to 10 s to finish, then SIGKILL for whatever is left of its process group."""
        self.stop_profile()
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    print(f'app on port {self.port} ignored SIGTERM for {STOP_SECONDS} s: killing it')
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if self._log is not None:
            self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(encoding='utf-8', errors='replace') if self.log_path.exists() else ''

    def rss_bytes(self) -> int:
        """The process's resident memory now (Linux ``/proc``)."""
        assert self.process is not None
        for line in Path(f'/proc/{self.process.pid}/status').read_text().splitlines():
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
        raise AppFailed('no VmRSS in /proc')

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used (Linux ``/proc``)."""
        assert self.process is not None
        fields = Path(f'/proc/{self.process.pid}/stat').read_text().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def _full_env(self) -> dict[str, str]:
        # No CHATAPP_*, PYTEST_* or NICEGUI_* from the caller: PYTEST_CURRENT_TEST makes NiceGUI behave as under
        # test (ui.run then ignores our port), and a stray CHATAPP_DATABASE_URL would point the app elsewhere.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('CHATAPP_', 'PYTEST_', 'NICEGUI_')) or k.startswith('CHATAPP_TEST_')}
        env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(ROOT), env.get('PYTHONPATH')]))
        env['PYTHONUNBUFFERED'] = '1'
        env.update(self.env)
        return env
