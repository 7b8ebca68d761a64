"""``python -m bench.hotspots FILE [N]``: the functions a py-spy profile (collapsed stacks, ``--format raw``) spent
most samples in, by their own time and with what they called."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def hotspots(path: Path, top: int = 25) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in path.read_text(encoding='utf-8', errors='replace').splitlines():
        stack, _, count_text = line.rpartition(' ')
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = stack.split(';')
        own[_short(frames[-1])] += count
        for frame in {_short(f) for f in frames}:
            total[frame] += count
    lines = [f'{samples} samples', '', 'own time:']
    lines += [f'{100 * n / samples:5.1f}%  {frame}' for frame, n in own.most_common(top)]
    lines += ['', 'with callees:']
    lines += [f'{100 * n / samples:5.1f}%  {frame}' for frame, n in total.most_common(top)]
    return '\n'.join(lines)


def _short(frame: str) -> str:
    """'send (pages/chat_page.py:120)' with the path cut after site-packages or the project root."""
    for marker in ('site-packages/', '/work/', 'python3.11/'):
        if marker in frame:
            head, _, tail = frame.partition('(')
            return f'{head}({tail.split(marker, 1)[-1]}'
    return frame


if __name__ == '__main__':
    print(hotspots(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 25))
