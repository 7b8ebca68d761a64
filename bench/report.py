"""Targets, machine facts, and the table appended to docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.server import ROOT

Row = dict[str, Any]
PACKAGES = ('nicegui', 'python-socketio', 'sqlalchemy', 'sqlmodel', 'psycopg', 'redis', 'argon2-cffi')


@dataclass(frozen=True)
class Target:
    what: str
    target: str
    figures: tuple[str, ...]
    met: Callable[[Row], bool | None]


def _le(key: str, limit: float) -> Callable[[Row], bool | None]:
    return lambda row: None if row.get(key) is None else row[key] <= limit


TARGETS: dict[str, Target] = {
    'a': Target('1 pair, 20 msg/s', 'p99 <= 3.5 ms',
                ('sent', 'lost', 'duplicated', 'p50_ms', 'p99_ms', 'server_cpu_ms_per_msg', 'tool_cpu_ms_per_msg'),
                _le('p99_ms', 3.5)),
    'b': Target('50 pairs, 500 msg/s offered, 30 s', '0 lost, 0 duplicated, p99 <= 50 ms',
                ('sent', 'offered_per_s', 'lost', 'duplicated', 'reconnects', 'p50_ms', 'p99_ms',
                 'server_cpu_ms_per_msg', 'tool_cpu_ms_per_msg'),
                lambda r: r['lost'] == 0 and r['duplicated'] == 0 and _le('p99_ms', 50)(r)),
    'c': Target('50 pairs, closed loop', '>= 1,000 delivered msg/s, 0 lost',
                ('delivered', 'delivered_per_s', 'lost', 'duplicated', 'p50_ms', 'p99_ms', 'server_cpu_ms_per_msg',
                 'tool_cpu_ms_per_msg'),
                lambda r: r['lost'] == 0 and r['delivered_per_s'] >= 1000),
    'd': Target('500 pairs (1,000 chat pages of 50 messages), 200 msg/s', 'p99 <= 20 ms; <= 200 KB per page',
                ('sent', 'lost', 'duplicated', 'reconnects', 'p50_ms', 'p99_ms', 'kb_per_page', 'rss_mb',
                 'server_cpu_ms_per_msg', 'tool_cpu_ms_per_msg', 'idle_cpu_pct', 'gc_full_pauses', 'gc_max_ms'),
                lambda r: _le('p99_ms', 20)(r) and r['kb_per_page'] <= 200),
    'e': Target('conversation of 100,000 messages', 'server time to open / for the previous page <= 20 ms each (p99)',
                ('server_open_p50_ms', 'server_open_p99_ms', 'server_previous_p50_ms', 'server_previous_p99_ms',
                 'open_p50_ms', 'previous_p50_ms', 'previous_p99_ms'),
                lambda r: _le('server_open_p99_ms', 20)(r) and _le('server_previous_p99_ms', 20)(r)),
    'f': Target('b on two processes, PostgreSQL + Redis', 'p99 <= 1.2x b; 0 lost',
                ('sent', 'offered_per_s', 'lost', 'duplicated', 'reconnects', 'p50_ms', 'p99_ms', 'p99_vs_b',
                 'server_cpu_ms_per_msg', 'tool_cpu_ms_per_msg'),
                lambda r: None if 'p99_vs_b' not in r else r['lost'] == 0 and r['p99_vs_b'] <= 1.2),
    'g': Target('a during 20 logins/s', 'p99 <= 2x a',
                ('sent', 'lost', 'p50_ms', 'p99_ms', 'p99_vs_a', 'logins', 'login_p50_ms', 'login_p99_ms',
                 'server_cpu_ms_per_msg', 'tool_cpu_ms_per_msg'),
                lambda r: None if 'p99_vs_a' not in r else r['p99_vs_a'] <= 2),
    'h': Target('flood: 50 pairs at 100 msg/s while one client sends 3,000 messages and 3,000 clicks at once',
                'p99 <= 2x without the flood; 0 lost; the flood stores no more than its rate limit allows',
                ('sent', 'lost', 'duplicated', 'p50_ms', 'p99_ms', 'alone_p50_ms', 'alone_p99_ms', 'p99_vs_alone',
                 'flood_messages', 'flood_clicks', 'flood_unsent', 'flood_send_seconds', 'flood_closed_after_s',
                 'flood_stored', 'flood_allowed', 'server_cpu_ms_per_msg'),
                lambda r: None if 'p99_vs_alone' not in r else (
                    r['lost'] == 0 and r['duplicated'] == 0 and r['p99_vs_alone'] <= 2
                    and r['flood_stored'] <= r.get('flood_allowed', r['flood_stored']))),
    'i': Target('a while 1,000 people are online, 10 tabs a second opening and 10 closing',
                'p99 <= 2x a alone (on the same app, before the crowd came)',
                ('sent', 'lost', 'duplicated', 'p50_ms', 'p99_ms', 'quiet_p50_ms', 'quiet_p99_ms', 'p99_vs_quiet',
                 'online', 'connects_per_s', 'disconnects_per_s', 'connects_failed', 'connect_p50_ms',
                 'connect_p99_ms', 'crowd_updates_per_s', 'server_cpu_ms_per_msg', 'quiet_server_cpu_ms_per_msg',
                 'gc_full_pauses', 'gc_max_ms', 'sign_in_retries'),
                lambda r: None if 'p99_vs_quiet' not in r else r['lost'] == 0 and r['p99_vs_quiet'] <= 2),
    'j': Target('the inbox of a person with 500 conversations; pages of 50 inbox rows and 50 messages',
                'server time to open the inbox p99 <= 50 ms; <= 450 KB per page',
                ('conversations', 'rows_shown', 'server_open_p50_ms', 'server_open_p99_ms', 'server_inbox_p99_ms',
                 'server_presence_p99_ms', 'open_p50_ms', 'open_p99_ms', 'memory_pages', 'memory_rows_min',
                 'memory_messages_min', 'kb_per_page', 'rss_mb'),
                lambda r: _le('server_open_p99_ms', 50)(r) and r['kb_per_page'] <= 450),
    'k': Target('a group of 100, all on the group page, 2 msg/s for 30 s, senders in turn',
                '0 lost, 0 duplicated, p99 from Enter to the 100th page <= 150 ms',
                ('members', 'sent', 'lost', 'duplicated', 'reconnects', 'p50_ms', 'p99_ms', 'max_ms',
                 'page_p50_ms', 'page_p99_ms', 'pages_missed', 'server_cpu_ms_per_msg', 'tool_cpu_ms_per_msg',
                 'gc_full_pauses', 'gc_max_ms'),
                lambda r: r['lost'] == 0 and r['duplicated'] == 0 and _le('p99_ms', 150)(r)),
    'l': Target('message search over 1,000,000 messages in 10,000 conversations (server time)',
                'p99 <= 50 ms on SQLite and on PostgreSQL',
                ('messages', 'conversations', 'sqlite_searches', 'sqlite_hits', 'sqlite_p50_ms', 'sqlite_p99_ms',
                 'postgres_p50_ms', 'postgres_p99_ms', 'sqlite_seed_s', 'postgres_seed_s'),
                lambda r: _le('sqlite_p99_ms', 50)(r) and (_le('postgres_p99_ms', 50)(r) is not False)),
    'm': Target('a while another account uploads a 10 MB file every second (issue 10\'s "k")',
                'p99 <= 2x a alone (quiet); 0 lost; every upload stored',
                ('sent', 'lost', 'duplicated', 'p50_ms', 'p99_ms', 'quiet_p50_ms', 'quiet_p99_ms', 'p99_vs_quiet',
                 'uploads', 'uploads_ok', 'upload_mb', 'upload_p50_ms', 'upload_max_ms', 'server_cpu_ms_per_msg',
                 'tool_cpu_ms_per_msg'),
                lambda r: None if 'p99_vs_quiet' not in r
                else r['lost'] == 0 and r['p99_vs_quiet'] <= 2 and r['uploads_ok'] == r['uploads']),
    'n': Target('pages of 50 inbox rows and 50 messages, 20 of them pictures, two reactions on every message '
                '(issue 10\'s "m")',
                '<= 600 KB per page',
                ('memory_pages', 'memory_rows_min', 'memory_messages_min', 'pictures_per_page',
                 'reactions_per_message', 'kb_per_page', 'rss_mb'),
                lambda r: r['kb_per_page'] <= 600),
    'r': Target('j\'s pages of 50 inbox rows and 50 messages, each turned away from once it shows: the app sends it '
                'to rest (CHATAPP_DORMANT_AFTER_SECONDS=1); then 40 of them looked at again',
                '<= 150 KiB per page (issue 9); every page rests and comes back with its 50 messages, each once',
                ('memory_pages', 'resting_pages', 'kb_per_page', 'rss_mb', 'back_pages', 'back_messages_min',
                 'back_duplicated', 'back_p50_ms', 'back_p99_ms'),
                lambda r: r['resting_pages'] == r['memory_pages'] and r['back_duplicated'] == 0
                and r['back_messages_min'] >= 50 and r['kb_per_page'] <= 150 * 1.024),
    'v': Target('new browsers, 4 at a time, each loading /login and the NiceGUI files it names',
                'none (issue 9 item 4: what a first page load costs beyond its HTML)',
                ('visits', 'requests_per_visit', 'server_cpu_ms_per_visit', 'visit_p50_ms', 'visit_p99_ms'),
                lambda r: None),
    't': Target('20 pairs typing in turns at 6 characters a second, messages of 10-80 (60 s of typing a pair); then '
                'the same pasted',
                'server CPU per typed message (beyond idle) <= 1.5x per pasted one; 0 lost',
                ('pairs', 'sent', 'lost', 'duplicated', 'p50_ms', 'p99_ms', 'delivered_per_s',
                 'server_cpu_ms_per_msg', 'pasted_server_cpu_ms_per_msg', 'pasted_net_server_cpu_ms_per_msg',
                 'typed_vs_pasted_cpu',
                 'idle_server_cpu_ms_per_s', 'net_server_cpu_ms_per_msg', 'server_cpu_ms_per_typist_s',
                 'net_server_cpu_ms_per_typist_s',
                 'typing_signals_per_msg',
                 'typing_lines_shown', 'frames_sent_per_msg', 'frames_received_per_msg', 'bytes_sent_per_msg',
                 'bytes_received_per_msg', 'pasted_frames_sent_per_msg', 'tool_cpu_ms_per_msg'),
                lambda r: None if 'typed_vs_pasted_cpu' not in r
                else r['lost'] == 0 and r['typed_vs_pasted_cpu'] <= 1.5),
}


def json_line(name: str, row: Row) -> str:
    target = TARGETS[name]
    return json.dumps({'scenario': name, 'what': target.what, 'target': target.target, 'met': _met(name, row), **row})


def machine() -> str:
    """Cores, CPU, Python, package versions and the commit, for the table's heading."""
    cpu = next((line.split(':', 1)[1].strip() for line in Path('/proc/cpuinfo').read_text().splitlines()
                if line.startswith('model name')), platform.machine())
    packages = ', '.join(f'{name} {version(name)}' for name in PACKAGES)
    return (f'{os.cpu_count()} cores ({cpu}), {_memory_gb()} GB, Python {platform.python_version()}, '
            f'{platform.system()} {platform.release()}; {packages}; commit {_commit()}')


def markdown(rows: dict[str, Row], command: str, note: str) -> str:
    lines = [f'### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC{f": {note}" if note else ""}', '',
             f'- Command: `{command}`', f'- Machine: {machine()}']
    if loads := [f'{name} {row["load_before"]}' for name, row in rows.items() if 'load_before' in row]:
        lines.append(f'- Load average (1 min) before each scenario: {", ".join(loads)}')
    lines += ['', '| scenario | target | met | figures |', '|---|---|---|---|']
    for name, row in rows.items():
        target = TARGETS[name]
        met = {True: 'yes', False: '**no**', None: 'n/a'}[_met(name, row)]
        figures = row.get('error') or ', '.join(f'{key} {_number(row.get(key))}' for key in target.figures
                                                if key in row)
        lines.append(f'| {name}. {target.what} | {target.target} | {met} | {figures} |')
    return '\n'.join(lines) + '\n'


def append(path: Path, text: str) -> None:
    with path.open('a', encoding='utf-8') as file:
        file.write('\n' + text)


def _met(name: str, row: Row) -> bool | None:
    return None if 'error' in row else TARGETS[name].met(row)


def _number(value: Any) -> str:
    return f'{value:,}' if isinstance(value, int) else str(value)


def _memory_gb() -> int:
    kib = int(Path('/proc/meminfo').read_text().split()[1])
    return round(kib / 2**20)


def _commit() -> str:
    try:
        out = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True,
                             check=True, timeout=10)
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=ROOT,
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
        return out.stdout.strip() + (' with local changes' if dirty else '')
    except (OSError, subprocess.SubprocessError):
        return 'unknown'
