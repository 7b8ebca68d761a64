"""``python -m bench``: run the scenarios against fresh app processes on 127.0.0.1 and report.

Prints one JSON line per scenario; with ``--write`` appends a table to docs/benchmarks.md. Every scenario is bounded
in messages and seconds and stops its app processes when it ends, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import tempfile
import time
import traceback
from dataclasses import replace
from pathlib import Path

from bench.report import append, json_line, markdown
from bench.scenarios import FULL, SCENARIOS, SMOKE, Row, Scale
from bench.setup import Services

DEFAULT_POSTGRES = 'postgresql://postgres@127.0.0.1:5432/postgres'
DEFAULT_REDIS = 'redis://127.0.0.1:6379/0'
DOCS = Path(__file__).resolve().parents[1] / 'docs' / 'benchmarks.md'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m bench', description=__doc__)
    parser.add_argument('scenarios', nargs='?', default=''.join(SCENARIOS),
                        help=f'which scenarios, as letters (default: all, {"".join(SCENARIOS)})')
    parser.add_argument('--smoke', action='store_true', help='tiny counts: checks the tool, measures nothing')
    parser.add_argument('--postgres-url', default=DEFAULT_POSTGRES, help='PostgreSQL server for scenario f')
    parser.add_argument('--redis-url', default=DEFAULT_REDIS, help='Redis for scenario f')
    parser.add_argument('--b-rate', type=float, help=f'messages a second offered in b and f (default {FULL.b_rate:g})')
    parser.add_argument('--d-rate', type=float, help=f'messages a second offered in d (default {FULL.d_rate:g})')
    parser.add_argument('--search-backend', choices=('both', 'sqlite', 'postgres'), default='both',
                        help='which backends scenario l measures (default both)')
    parser.add_argument('--profile', type=Path, help='profile each app process with py-spy into this folder')
    parser.add_argument('--write', action='store_true', help=f'append the table to {DOCS}')
    parser.add_argument('--note', default='', help='a heading for the table (what changed)')
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f'unknown scenarios: {", ".join(sorted(unknown))}')
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='chatapp-bench-') as workdir:
        backends = ('sqlite', 'postgres') if args.search_backend == 'both' else (args.search_backend,)
        services = Services(Path(workdir), postgres_url=args.postgres_url, redis_url=args.redis_url,
                            profile_dir=args.profile, search_backends=backends)
        scale = SMOKE if args.smoke else FULL
        if args.b_rate:
            scale = replace(scale, b_rate=args.b_rate)
        if args.d_rate:
            scale = replace(scale, d_rate=args.d_rate)
        rows = asyncio.run(run(services, args.scenarios, scale))
    if args.write:
        command = 'python -m bench ' + shlex.join(sys.argv[1:] if argv is None else argv)
        append(DOCS, markdown(rows, command.replace(' --write', ''), args.note))
    return 0


async def run(services: Services, names: str, scale: Scale = FULL) -> dict[str, Row]:
    """Run ``names`` in order (f compares with b, g with a, when they ran before); print each row at once."""
    rows: dict[str, Row] = {}
    for name in names:
        load = round(os.getloadavg()[0], 2)  # other work on the machine skews every figure: say how much there was
        started = time.perf_counter()
        try:
            row = await SCENARIOS[name](services, scale, rows)
        except Exception as error:  # one broken scenario must not hide the figures of the others
            if scale is SMOKE:
                raise
            traceback.print_exc()
            row = {'error': f'{type(error).__name__}: {error}'}
        rows[name] = {**row, 'seconds': round(time.perf_counter() - started, 1), 'load_before': load}
        print(json_line(name, rows[name]), flush=True)
    return rows


if __name__ == '__main__':
    sys.exit(main())
