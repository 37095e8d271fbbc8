"""The tap's streams, one module per family."""

from tap_gitlab_duo.streams.events import AiUsageEventsStream, CodeSuggestionEventsStream

__all__ = ["AiUsageEventsStream", "CodeSuggestionEventsStream"]
