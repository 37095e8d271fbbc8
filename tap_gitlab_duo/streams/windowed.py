"""Streams read one UTC day window at a time, with the bookmark owned per completed day.

A day is read whole (every page), turned into records and emitted; only then, and only
for a complete day, does the scope's bookmark move past it. The bookmark therefore
never runs ahead of what was emitted, and an interrupted sync resumes at the first
unfinished day of its scope.
"""

from __future__ import annotations

import itertools
import time
import typing as t
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pendulum
from singer_sdk.batch import Batcher

from tap_gitlab_duo.client import DuoStream
from tap_gitlab_duo.graphql_response import StreamUnavailableError
from tap_gitlab_duo.scopes import Scope
from tap_gitlab_duo.settings import default_start_date
from tap_gitlab_duo.windows import DayWindow, parse_instant, plan_days

if t.TYPE_CHECKING:
    from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchConfig
    from singer_sdk.helpers.types import Context, Record


@dataclass
class Progress:
    """Windows and records of one scope emitted so far, for the progress log."""

    total: int
    done: int = 0
    records: int = 0
    last_count: int = 0
    last_seconds: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def add(self, count: int, seconds: float) -> Progress:
        self.done += 1
        self.records += count
        self.last_count, self.last_seconds = count, seconds
        return self

    @property
    def rate(self) -> float:
        """Records per second of wall time since the scope started."""
        return self.records / max(time.monotonic() - self.started, 1e-6)


class DayWindowStream(DuoStream):
    """Reads its scope one UTC day at a time and owns its bookmark per completed day."""

    # Days are emitted oldest first, but the lookback re-emits days before the
    # bookmark on purpose; the bookmark is set per completed day (see below).
    is_sorted = True
    check_sorted = False

    @property
    def now(self) -> pendulum.DateTime:
        return self._tap.sync_started_at  # type: ignore[attr-defined]

    def windows(self, context: Context) -> list[DayWindow]:
        """The day windows this run reads for one scope."""
        state = self.get_context_state(context)
        bookmark = None
        if state.get("replication_key") == self.replication_key and state.get(
            "replication_key_value"
        ):
            bookmark = parse_instant(state["replication_key_value"])
        configured_start = self.config.get("start_date")
        if configured_start:
            start = parse_instant(configured_start)
        elif bookmark is not None:
            start = pendulum.datetime(1970, 1, 1)  # the bookmark alone decides
        else:
            start = default_start_date(self.now)
        end = self.config.get("end_date")
        return plan_days(
            start_date=start,
            end_date=parse_instant(end) if end else None,
            bookmark=bookmark,
            lookback_days=int(self.config.get("lookback_days", 3)),
            now=self.now,
        )

    def variables_for(self, context: Context) -> dict[str, t.Any]:
        variables = super().variables_for(context)
        variables["startDate"] = context["start_date"]
        variables["endDate"] = context["end_date"]
        return variables

    def iter_window(
        self, context: Context, start_date: str, end_date: str
    ) -> t.Iterator[dict[str, t.Any]]:
        """Every node GitLab returns for one date range of one scope, page by page."""
        window_context = {**context, "start_date": start_date, "end_date": end_date}
        return iter(self.request_records(window_context))

    def read_window(
        self, context: Context, start_date: str, end_date: str
    ) -> list[dict[str, t.Any]]:
        """Every node of one date range of one scope, all pages."""
        return list(self.iter_window(context, start_date, end_date))

    def read_day(
        self, context: Context, window: DayWindow, *, last: bool
    ) -> list[dict[str, t.Any]]:
        """The records of one day window, ready to emit in this order.

        ``last`` says this is the last window of the run (periods ending later are
        emitted with it).
        """
        raise NotImplementedError

    def bookmark_value(self, window: DayWindow) -> str:
        """The bookmark saying every day up to and including ``window`` is complete."""
        return window.resume_point

    def get_records(self, context: Context | None) -> t.Iterable[Record]:
        if context is None:
            self.warn_no_scope()
            return
        self._tap.check_access_once(self)  # type: ignore[attr-defined]
        scope = Scope.from_context(context)
        with self.scope_errors(scope):
            reason = self.unavailable_reason(context)
            if reason is not None:
                raise StreamUnavailableError(reason)
            windows = self.windows(context)
            progress = Progress(len(windows))
            for window, records, seconds in self.read_days(context, windows):
                yield from records
                self.log_window(scope, window, progress.add(len(records), seconds))
                if window.complete:
                    self._bookmark_through(context, window)

    def read_days(
        self, context: Context, windows: list[DayWindow]
    ) -> t.Iterator[tuple[DayWindow, list[dict[str, t.Any]], float]]:
        """Each window's records, in window order, fetched up to ``concurrency`` at once.

        At most ``concurrency`` windows are fetched at once and twice that many are in
        flight or waiting to be emitted, so memory stays bounded whatever the range. A
        failure surfaces when its window's turn comes, after every earlier window was
        emitted and bookmarked.
        """
        last = len(windows) - 1

        def read(index: int) -> tuple[list[dict[str, t.Any]], float]:
            started = time.monotonic()
            records = self.read_day(context, windows[index], last=index == last)
            return records, time.monotonic() - started

        if self.concurrency <= 1 or len(windows) <= 1:
            for index, window in enumerate(windows):
                yield (window, *read(index))
            return
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"{self.name}-window")
        # Twice as many windows as workers are queued, so that one long day being
        # waited for does not leave the other workers idle; memory stays bounded by
        # those windows.
        ahead = 2 * self.concurrency
        try:
            pending: deque[Future[tuple[list[dict[str, t.Any]], float]]] = deque()
            upcoming = iter(range(len(windows)))
            for index in itertools.islice(upcoming, ahead):
                pending.append(pool.submit(read, index))
            for window in windows:
                records, seconds = pending.popleft().result()
                for index in itertools.islice(upcoming, 1):
                    pending.append(pool.submit(read, index))
                yield window, records, seconds
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    #: Said after a final failure (``DuoStream.final_failure``).
    resume_hint = "Days before it are saved in the state."

    def unavailable_reason(self, context: Context) -> str | None:
        """Why GitLab cannot serve this stream for a scope, found by a probe; or None."""
        return None

    def log_window(self, scope: Scope, window: DayWindow, progress: Progress) -> None:
        """One line per emitted window, so a long backfill can be followed."""
        self.logger.info(
            "%s: %s, %s (%d/%d): %d records in %.1f s; %d records so far, %.0f/s%s",
            self.name,
            scope,
            window.day,
            progress.done,
            progress.total,
            progress.last_count,
            progress.last_seconds,
            progress.records,
            progress.rate,
            "" if window.complete else " (day not over: not bookmarked)",
        )

    def _bookmark_through(self, context: Context, window: DayWindow) -> None:
        """Move the scope's bookmark past a complete day and write STATE.

        With BATCH messages, the day's records may still sit in the batch being filled:
        the bookmark waits until the batch file is written (``get_batches``).
        """
        if self._batching:
            # The latest complete day of each scope: one batch can span scopes.
            self._pending_bookmarks[Scope.from_context(context)] = (context, window)
            return
        if self._move_bookmark(context, window):
            self._write_state_message()

    def _move_bookmark(self, context: Context, window: DayWindow) -> bool:
        state = self.get_context_state(context)
        value = self.bookmark_value(window)
        current = state.get("replication_key_value")
        if current and parse_instant(current) >= parse_instant(value):
            return False
        state["replication_key"] = self.replication_key
        state["replication_key_value"] = value
        self.state_manager.is_flushed = False
        return True

    def get_batches(
        self, batch_config: BatchConfig, context: Context | None = None
    ) -> t.Iterable[tuple[BaseBatchFileEncoding, list[str]]]:
        """Batch files, with the bookmark moved only over days a written file holds.

        The batcher writes a file when it has drawn its last record, before asking for
        the next one, so every day completed by then is in a file. The SDK writes the
        BATCH message and then STATE.
        """
        batcher = Batcher(tap_name=self.tap_name, stream_name=self.name, batch_config=batch_config)
        self._batching = True
        self._pending_bookmarks: dict[Scope, tuple[Context, DayWindow]] = {}
        try:
            records = self._sync_records(context, write_messages=False)
            for manifest in batcher.get_batches(records=records):
                self._apply_pending_bookmarks()
                yield batch_config.encoding, manifest
            # Days completed after the last file (quiet days, or a last batch exactly
            # full) hold no record waiting to be written: they are bookmarked now.
            if self._apply_pending_bookmarks():
                self._write_state_message()
        finally:
            self._batching = False

    def _apply_pending_bookmarks(self) -> bool:
        """Move every scope's bookmark held back for a batch file; whether any moved."""
        moved = [self._move_bookmark(*pending) for pending in self._pending_bookmarks.values()]
        self._pending_bookmarks.clear()
        return any(moved)

    _batching = False

    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        """Records do not move the bookmark: completed days do (``_bookmark_through``).

        The SDK would set it to each record's timestamp, which would move it back
        during the lookback and forward into days not yet complete.
        """
