"""Errors that GitLab reports inside a 200 response, on the field that failed."""

from __future__ import annotations


class ArgumentError(Exception):
    """GitLab's `Gitlab::Graphql::Errors::ArgumentError`.

    Raised from a resolver, graphql-core turns it into an `errors` entry with `message`,
    `locations` and `path`, and the field becomes null: the shape GitLab answers with.
    """


RESOURCE_NOT_AVAILABLE_MESSAGE = (
    "The resource that you are attempting to access does not exist or you don't have "
    "permission to perform this action"
)


class ResourceNotAvailableError(Exception):
    """GitLab's `ResourceNotAvailable`, raised by `authorizes_object!` and `authorize!`.

    The field becomes null and `errors` gets an entry with this message and its path.
    """

    def __init__(self, message: str = RESOURCE_NOT_AVAILABLE_MESSAGE) -> None:
        super().__init__(message)
