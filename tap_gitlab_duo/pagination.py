"""Relay paging driven by ``pageInfo.hasNextPage``.

GitLab returns a non-null ``endCursor`` on the last page too, so the cursor alone
cannot end the loop.
"""

from __future__ import annotations

import typing as t

import requests
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.pagination import BaseAPIPaginator

from tap_gitlab_duo.graphql_response import connection


class PageInfoPaginator(BaseAPIPaginator[str | None]):
    """Follows ``endCursor`` while ``hasNextPage`` is true."""

    def __init__(self) -> None:
        super().__init__(None)

    def get_next(self, response: requests.Response) -> str | None:
        cursor = connection(response)["pageInfo"].get("endCursor")
        if not cursor:
            # Stopping here would silently drop the rest of the window.
            msg = "GitLab reported a next page but sent no endCursor (report it to its admins)"
            raise FatalAPIError(msg)
        return t.cast("str", cursor)

    def has_more(self, response: requests.Response) -> bool:
        return bool(connection(response)["pageInfo"].get("hasNextPage"))
