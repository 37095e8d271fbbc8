"""Writing Singer messages: msgspec encoding, flushed with state, not per record.

The SDK's default writer encodes with simplejson and flushes stdout after every
message: one system call per record. Records only count for the target once a STATE
follows them, so flushing with every STATE (and at exit) loses nothing that a resumed
run would not read again.
"""

from __future__ import annotations

import sys
import typing as t

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib.encoding.simple import Message
from singer_sdk.singerlib.messages import RecordMessage


class BufferedMessageWriter(MsgSpecWriter):
    """msgspec-encoded messages; stdout is flushed after anything but a RECORD.

    A signal handler that writes (SIGTERM's final STATE) must not start a message while
    one is half written: the line would be cut, and msgspec's shared encoding buffer
    refuses to be re-entered. ``when_idle`` runs such work right after the message.
    """

    _writing = False
    _after_message: t.Callable[[], None] | None = None

    def write_message(self, message: Message) -> None:
        self._writing = True
        try:
            sys.stdout.buffer.write(self.format_message(message))
            if not isinstance(message, RecordMessage):
                sys.stdout.flush()
        finally:
            self._writing = False
            # Also when the message failed: a deferred SIGTERM must not be lost.
            if (deferred := self._after_message) is not None:
                self._after_message = None
                deferred()

    def when_idle(self, action: t.Callable[[], None]) -> None:
        """Run ``action`` now, or, if a message is being written, as soon as it is."""
        if self._writing:
            self._after_message = action
        else:
            action()
