"""What any `hpctui` command may raise for a mistake the user can fix, and its exit code.

Its own module so subcommands can raise it without importing `hpctui.cli.main`, which imports
them (that was an import circle).
"""

from __future__ import annotations

EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with what the user asked for; printed as one line, exit code 2."""
