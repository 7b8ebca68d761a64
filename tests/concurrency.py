"""Running calls at the same moment, for the race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable


def together(calls: list[Callable[[], object]]) -> list[object]:
    """Run each call in its own thread, all released at once by a barrier; their results or the exceptions raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = calls[index]()
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
