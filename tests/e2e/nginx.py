"""Debian's nginx in front of app processes, configured with the very config that docs/deployment.md recommends.

The config is read from the doc (the ``nginx`` block after ``DOC_MARKER``) and changed only where a test must differ
from production: a loopback port instead of TLS on 443, the test's app ports, and a ``Server-Timing`` header naming
the process that served each response. Each change must apply exactly once, so an edit of the doc that the test can
no longer follow fails the test instead of silently testing something else.

nginx runs as a child (``daemon off``) with its prefix, config, pid, logs and temporary files in a folder of its own;
the system's nginx service is neither used nor needed.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from bench.server import ROOT, free_port

DOC = ROOT / 'docs' / 'deployment.md'
DOC_MARKER = '<!-- tests/e2e/test_nginx.py runs this config -->'
DOC_PORTS = (8081, 8082)
START_SECONDS = 10
STOP_SECONDS = 10
UPSTREAM_METRIC = 'upstream'
"""The ``Server-Timing`` metric whose description is ``$upstream_addr``: a page reads which process served it from
``performance.getEntriesByType('navigation')[0].serverTiming`` (test config only; production does not say)."""


def nginx_path() -> str:
    """Debian's nginx, or ``CHATAPP_TEST_NGINX``; a missing one fails the test."""
    path = os.environ.get('CHATAPP_TEST_NGINX', '/usr/sbin/nginx')
    if not os.access(path, os.X_OK):
        pytest.fail(f'nginx not found at {path}: install Debian package nginx (.ci/run does) or set CHATAPP_TEST_NGINX')
    return path


def documented_config() -> str:
    """The ``nginx`` block that follows ``DOC_MARKER`` in docs/deployment.md."""
    text = DOC.read_text(encoding='utf-8')
    _, marker, after = text.partition(DOC_MARKER)
    block = re.match(r'\s*```nginx\n(.*?)```', after, re.S)
    if not marker or block is None:
        pytest.fail(f'{DOC} has no ```nginx block right after {DOC_MARKER!r}')
    return block.group(1)


def proxy_config(port: int, upstream_ports: list[int]) -> str:
    """The documented config, changed only where a loopback test must differ (see the module's docstring)."""
    if len(upstream_ports) != len(DOC_PORTS):
        raise ValueError(f'the documented config balances {len(DOC_PORTS)} processes, not {len(upstream_ports)}')
    config = documented_config()
    changes: list[tuple[str, str, int]] = [
        (r'listen 443 ssl;', f'listen 127.0.0.1:{port};', 1),
        (r'\n[ \t]*ssl_certificate(_key)?[ \t][^;\n]*;', '', 2),
        # Chromium keeps a Secure cookie from http://127.0.0.1 (a secure context), so the route cookie stays as is.
        (r'proxy_pass http://chatapp;',
         'proxy_pass http://chatapp;\n'
         f'        add_header Server-Timing \'{UPSTREAM_METRIC};desc="$upstream_addr"\' always;', 1),
    ]
    changes += [(rf'server 127\.0\.0\.1:{doc}\b', f'server 127.0.0.1:{ours}', 1)
                for doc, ours in zip(DOC_PORTS, upstream_ports, strict=True)]
    for pattern, replacement, count in changes:
        config, made = re.subn(pattern, replacement.replace('\\', r'\\'), config)
        if made != count:
            pytest.fail(f'the nginx config in {DOC} changed: {pattern!r} matched {made} times, not {count}; '
                        f'update {__name__}.proxy_config')
    return config



@dataclass
class Nginx:
    """nginx on a free loopback port in front of ``upstream_ports``, everything it writes inside ``folder``."""

    folder: Path
    upstream_ports: list[int]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    _output: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    def launch(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / 'nginx.conf'
        conf.write_text(self._main_config(), encoding='utf-8')
        self._output = (self.folder / 'output.log').open('wb')
        # A session of its own: stopping it reaches the workers too, even if the master is gone.
        self.process = subprocess.Popen(
            [nginx_path(), '-p', f'{self.folder}/', '-c', str(conf), '-e', str(self.folder / 'error.log'),
             '-g', 'daemon off;'],
            stdin=subprocess.DEVNULL, stdout=self._output, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self) -> None:
        """Wait until the port accepts connections; fail with nginx's output if it exits or does not in time."""
        assert self.process is not None
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f'nginx exited with code {self.process.returncode}:\n{self.output()}')
            with contextlib.suppress(OSError), socket.create_connection(('127.0.0.1', self.port), timeout=1):
                return
            time.sleep(0.05)
        pytest.fail(f'nginx did not listen on {self.port} within {START_SECONDS} s:\n{self.output()}')

    def stop(self) -> None:
        """SIGTERM (nginx's fast shutdown: open websockets do not hold it up), then SIGKILL whatever is left."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(STOP_SECONDS)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if self._output is not None:
            self._output.close()

    def output(self) -> str:
        parts = []
        for name in ('output.log', 'error.log', 'access.log'):
            path = self.folder / name
            if path.exists():
                parts.append(f'--- {name}\n{path.read_text(encoding="utf-8", errors="replace")}')
        return '\n'.join(parts)

    def _main_config(self) -> str:
        # Only the main and http contexts around the documented block are the test's own. As root, the workers run
        # as root too: the default user (nobody) could not reach the temporary files inside pytest's private folder.
        user = f'user {pwd.getpwuid(os.geteuid()).pw_name};\n' if os.geteuid() == 0 else ''
        temp = '\n'.join(f'    {kind}_temp_path {self.folder / kind};'
                         for kind in ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'))
        return f"""{user}worker_processes 1;
pid {self.folder / 'nginx.pid'};
error_log {self.folder / 'error.log'} warn;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$msec "$request" $request_time s $status upstream=$upstream_addr ($upstream_status)';
    access_log {self.folder / 'access.log'} upstream;
{temp}

{proxy_config(self.port, self.upstream_ports)}
}}
"""


@contextmanager
def running_nginx(folder: Path, upstream_ports: list[int], port: int | None = None) -> Iterator[Nginx]:
    """nginx in front of ``upstream_ports`` until the block ends; always stopped, its logs printed (pytest shows
    them when the test failed)."""
    nginx = Nginx(folder, upstream_ports) if port is None else Nginx(folder, upstream_ports, port)
    try:
        nginx.launch()
        nginx.wait_ready()
        yield nginx
    finally:
        nginx.stop()
        print(f'----- nginx on port {nginx.port} -----\n{nginx.output()}')
