"""Writing Singer messages: msgspec encoding, flushed with state, not per record.

The SDK's default writer encodes with simplejson and flushes stdout after every
message: one system call per record. Records only count for the target once a STATE
follows them, so flushing with every STATE (and at exit) loses nothing that a resumed
run would not read again.
"""

from __future__ import annotations

import sys

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib.encoding.simple import Message
from singer_sdk.singerlib.messages import RecordMessage


class BufferedMessageWriter(MsgSpecWriter):
    """msgspec-encoded messages; stdout is flushed after anything but a RECORD."""

    def write_message(self, message: Message) -> None:
        sys.stdout.buffer.write(self.format_message(message))
        if not isinstance(message, RecordMessage):
            sys.stdout.flush()
