"""The one runner of heavy batches (analyses, corpus clips): a function over items on every
core, in worker processes started fresh (spawn), with a worker's death survived.

A worker that dies (killed, out of memory) breaks Python's process pool and every unfinished
item of that pool with it: those go to a new pool, and an item lost twice is reported rather
than retried forever.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Callable, Hashable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

LOST_TWICE = "the worker on it died twice (killed, or out of memory)"


def default_workers() -> int:
    """The cores this process may use (a container's CPU limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# How often a worker checks that the batch that started it is still there (s).
PARENT_POLL_S = 1.0


def _kill_children() -> None:
    """SIGKILL the processes this one started (a corpus clip's render). Read from Linux's
    /proc; elsewhere there is nothing to read and the worker leaves alone. Not a process group
    of the worker's own: Ctrl+C in a terminal must still reach the workers with the batch."""
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = stat.read_text().rsplit(")", 1)[1].split()[1]  # after the command: state, ppid
            if ppid == me:
                os.kill(int(stat.parent.name), signal.SIGKILL)
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: a batch killed outright (SIGKILL, a closed terminal) cannot stop
    its pool, whose workers would go on with the queued items for nobody; each worker leaves
    within a second of its parent instead, with what it started."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        _kill_children()
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def run_each(fn: Callable[..., Any], items: list[Hashable], workers: int, args: tuple = (),
             done: Callable[[Hashable, Any, str | None], None] = lambda _i, _r, _e: None) -> None:
    """``fn(item, *args)`` for every item; ``done(item, result, None)`` as each returns, or
    ``done(item, None, LOST_TWICE)``. One worker: in this process, in order. ``fn`` and its
    arguments must pickle (a module-level function); its own errors are its to turn into
    results: one that escapes stops the batch, as a bug should."""
    if workers <= 1:
        for item in items:
            done(item, fn(item, *args), None)
        return
    # spawn, not fork: a forked child would inherit MediaPipe's and the caller's threads.
    context = multiprocessing.get_context("spawn")
    lost: Counter[Hashable] = Counter()
    todo = list(items)
    while todo:
        retry = []
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context,
                                 initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(fn, item, *args): item for item in todo}
            for future in as_completed(futures):
                item = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    lost[item] += 1
                    if lost[item] >= 2:
                        done(item, None, LOST_TWICE)
                    else:
                        retry.append(item)
                    continue
                done(item, result, None)
        todo = retry
