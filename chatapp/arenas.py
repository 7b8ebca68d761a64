"""Few malloc arenas: the server's memory stays with its pages, not spread over one heap per thread.

glibc's malloc gives a thread that meets a busy arena one of its own, up to eight per core. The service runner's
worker threads build every row and object the pages then keep (chatapp.services.tx), so a page's memory was spread
over a score of heaps, each with its own free lists and its own unreturned pages. Two arenas are what production
Python servers commonly set (``MALLOC_ARENA_MAX=2``); here it is set from inside the process, before any thread
starts, so ``python -m chatapp`` needs no environment. Measured with scenario j (200 pages of 50 inbox rows and 50
messages): 475 KB of RSS a page with glibc's default, 409 KB with two arenas (docs/benchmarks.md, issue 9).

Elsewhere (musl, macOS, Windows) there is nothing to set and nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameter number for the most arenas (malloc.h)."""
ARENAS = 2


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Ask glibc's malloc for at most ``arenas`` arenas; whether it took the setting. Call before threads start:
    an arena made already stays."""
    name = ctypes.util.find_library('c')
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False  # not glibc
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    taken = bool(mallopt(M_ARENA_MAX, arenas))
    if not taken:
        log.warning('malloc did not take %d arenas', arenas)
    return taken
