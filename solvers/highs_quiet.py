"""A HiGHS instance that prints nothing: ``highspy.Highs()`` writes its banner to standard output.

highspy 1.16 runs a HiGHS call inside its constructor, before any option can be set, and HiGHS then
prints its banner on file descriptor 1. That would corrupt ``main.py solve --json``, whose standard
output must be one JSON object. The constructor runs with descriptor 1 pointed at ``/dev/null``
(a millisecond; progress and logs go to standard error), and logging is off from then on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import highspy


@contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def new_highs() -> highspy.Highs:
    """A fresh ``highspy.Highs`` with console output off and nothing printed while making it."""
    with _stdout_to_devnull():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    return h
