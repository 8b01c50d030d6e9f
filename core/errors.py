"""The one error type for a user's mistake.

Bad input (a missing file, a malformed field, an unbound dimension, an impossible budget) raises
:class:`RematError` with a message that names the file, field or node and says what to do. The command
line prints the message on one line and exits with status 2; the window shows it in a dialog.
"""

from __future__ import annotations


class RematError(Exception):
    """A problem with the user's input that the user can fix; the message says how."""


class ScheduleError(RematError):
    """A schedule that cannot be replayed against its problem (see :func:`core.simulate.simulate`)."""
