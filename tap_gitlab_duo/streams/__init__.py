"""The tap's streams, one module per family."""

from tap_gitlab_duo.streams.events import AiUsageEventsStream, CodeSuggestionEventsStream
from tap_gitlab_duo.streams.metrics import AiMetricsStream, AiUserMetricsStream
from tap_gitlab_duo.streams.seats import DuoSeatAssignmentsStream

__all__ = [
    "AiMetricsStream",
    "AiUsageEventsStream",
    "AiUserMetricsStream",
    "CodeSuggestionEventsStream",
    "DuoSeatAssignmentsStream",
]
