"""The command line: the SDK's, with expected failures reported in one line.

A wrong token, path or setting is the user's to fix, not a bug: a stack trace would
bury the one line that says what to do.
"""

from __future__ import annotations

import logging
import sys
import typing as t
import warnings

import click
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError
from singer_sdk.plugin_base import SingerCommand

if t.TYPE_CHECKING:
    from types import TracebackType

EXPECTED_FAILURES: tuple[type[BaseException], ...] = (FatalAPIError, ConfigValidationError)


class TapCommand(SingerCommand):
    """``SingerCommand`` whose uncaught expected failures print as one log line."""

    def invoke(self, ctx: click.Context) -> t.Any:
        """The SDK's ``invoke``, with one line per bad setting and no summary line.

        The SDK adds "Config validation failed" after the lines that say what is wrong
        and what to do; it would be the last line a scheduler shows, and says neither.
        """
        logging.captureWarnings(capture=True)
        warnings.filterwarnings("once", category=DeprecationWarning)
        sys.excepthook = self.excepthook
        try:
            return click.Command.invoke(self, ctx)
        except ConfigValidationError as exc:
            for error in exc.errors:
                self.logger.error("%s", " ".join(str(error).split()))
            ctx.exit(1)

    def excepthook(
        self,
        exc_type: type[BaseException],
        exc_value: BaseException,
        exc_traceback: TracebackType | None,
    ) -> None:
        if issubclass(exc_type, EXPECTED_FAILURES):
            self.logger.error("%s", one_line(exc_value))
            return
        super().excepthook(exc_type, exc_value, exc_traceback)


def one_line(error: BaseException) -> str:
    text = str(error.args[0]) if error.args else type(error).__name__
    return " ".join(text.split())
