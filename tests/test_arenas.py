"""The process asks glibc's malloc for two arenas, and threads that allocate then share them (counted by glibc's own
``malloc_stats``, in a child process so that this one's arenas do not count)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from chatapp import arenas

CHILD = '''
import ctypes, ctypes.util, sys, threading
from chatapp import arenas
if sys.argv[1] == 'limited':
    assert arenas.limit_arenas()
held = []
start = threading.Barrier(8)

def allocate():
    start.wait()  # all at once: a thread that finds every arena busy gets a new one, if allowed
    held.append([bytearray(200_000) for _ in range(20)])

threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL(ctypes.util.find_library('c')).malloc_stats()
'''


def _arenas(mode: str) -> int:
    done = subprocess.run([sys.executable, '-c', CHILD, mode], capture_output=True, text=True, check=True, timeout=60)
    return len(re.findall(r'^Arena \d+:', done.stderr, flags=re.MULTILINE))


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='glibc only')
def test_threads_share_two_arenas_once_limited() -> None:
    assert _arenas('limited') <= arenas.ARENAS
    assert _arenas('default') > arenas.ARENAS  # the same threads spread over more without the limit
