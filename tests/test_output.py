"""The message writer: a signal's final STATE never cuts a message in two."""

from __future__ import annotations

import json

import pytest
from singer_sdk.singerlib.messages import RecordMessage, StateMessage

from tap_gitlab_duo.output import BufferedMessageWriter


def lines(capture: pytest.CaptureFixture[bytes]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capture.readouterr().out.splitlines()]


class SignalMidMessage(BufferedMessageWriter):
    """Asks for the final STATE while the first record is being encoded, as SIGTERM can."""

    signalled = False

    def format_message(self, message: RecordMessage | StateMessage) -> bytes | bytearray:  # type: ignore[override]
        if not self.signalled:
            self.signalled = True
            self.when_idle(lambda: self.write_message(StateMessage(value={"final": True})))
        return super().format_message(message)


def test_a_state_asked_for_mid_message_follows_the_whole_message(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    writer = SignalMidMessage()
    writer.write_message(RecordMessage(stream="s", record={"id": 1}))
    writer.write_message(RecordMessage(stream="s", record={"id": 2}))
    written = lines(capsysbinary)
    assert [m["type"] for m in written] == ["RECORD", "STATE", "RECORD"]
    assert written[1]["value"] == {"final": True}


def test_a_state_asked_for_between_messages_is_written_at_once(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    writer = BufferedMessageWriter()
    writer.write_message(RecordMessage(stream="s", record={"id": 1}))
    writer.when_idle(lambda: writer.write_message(StateMessage(value={"final": True})))
    assert [m["type"] for m in lines(capsysbinary)] == ["RECORD", "STATE"]
