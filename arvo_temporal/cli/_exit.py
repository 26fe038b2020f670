"""Leaving a process that ran a Temporal client or worker without an abort at shutdown.

The SDK's Rust runtime keeps threads that can call into Python while the interpreter is being
finalised, which aborts the process (``Fatal Python error: PyGILState_Release``, SIGABRT) after
it printed the right answer. Entry points therefore flush their streams and end the process
with ``os._exit``: everything a command does is finished by then (workers shut down, files
closed by their ``with`` blocks), so skipping finalisation loses nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import NoReturn

__all__ = ["console_main", "exit_now"]


def exit_now(code: int) -> NoReturn:
    """Flush stdout and stderr, then end the process with ``code`` without finalisation."""
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe (``| head``) has nobody left to read it.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def console_main(main: Callable[[], int]) -> NoReturn:
    """Run an entry point and leave with its status (see the module docstring)."""
    exit_now(main())
