"""Ctrl-C and SIGTERM held back for a few steps that must not be cut in two.

Renaming a set of files into place, or starting a Dask cluster (which Ctrl-C half-way leaves impossible to
close cleanly), are short steps during which a signal is better delivered just after than in the middle.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["held_signals"]


@contextmanager
def held_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the block (in the main thread; elsewhere nothing is held), then deliver
    each held one, once, to the handler in place before: Ctrl-C raises :class:`KeyboardInterrupt` as the
    block ends.

    Examples
    --------
    >>> import os
    >>> try:
    ...     with held_signals():
    ...         os.kill(os.getpid(), signal.SIGINT)
    ...         print("the block ran to its end")
    ... except KeyboardInterrupt:
    ...     print("then Ctrl-C came")
    the block ran to its end
    then Ctrl-C came
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    numbers = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda number, frame: caught.append(number)) for number in numbers}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(caught):
            signal.raise_signal(number)
