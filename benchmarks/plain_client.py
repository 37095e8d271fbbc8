"""A plain sequential GitLab Duo events client: the yardstick the tap is measured against.

It works the way GitLab's own collector scripts do: a `requests` loop over UTC day
windows (`startDate: D, endDate: D+1`, keeping the events dated D), paging with
`first` / `after` / `pageInfo.hasNextPage`, `json` parsing, and one JSON line per event
on stdout. No threads, no retries, no keys, no schema: the least work that gets the
same events out.

    python -m benchmarks.plain_client --url URL --token T --group acme-corp \
        --start 2026-10-12 --end 2026-10-31 [--page-size 100] [--stats stats.json]

`--end` is the last day read (inclusive). `--stats` writes the request count and the
pages of each day, which the benchmark uses for the bound.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import typing as t
from collections.abc import Iterator, Sequence

import requests

QUERY = """
query PlainAiUsageEvents(
  $fullPath: ID!, $startDate: Date!, $endDate: Date!, $first: Int!, $after: String
) {
  group(fullPath: $fullPath) {
    aiUsageData {
      all(startDate: $startDate, endDate: $endDate, first: $first, after: $after) {
        nodes { event timestamp user { id username } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""

TIMEOUT_S = 60


class PlainClientError(RuntimeError):
    """GitLab answered something this client does not handle."""


def days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def fetch_day(
    session: requests.Session, url: str, group: str, day: dt.date, page_size: int
) -> Iterator[list[dict[str, t.Any]]]:
    """Every page of nodes GitLab returns for the window `day .. day+1`."""
    variables: dict[str, t.Any] = {
        "fullPath": group,
        "startDate": day.isoformat(),
        "endDate": (day + dt.timedelta(days=1)).isoformat(),
        "first": page_size,
        "after": None,
    }
    while True:
        response = session.post(
            url, json={"query": QUERY, "variables": variables}, timeout=TIMEOUT_S
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise PlainClientError(f"GitLab returned errors: {body['errors']}")
        group_data = (body.get("data") or {}).get("group")
        usage = (group_data or {}).get("aiUsageData")
        if usage is None or usage.get("all") is None:
            raise PlainClientError(f"no aiUsageData for group {group!r}")
        connection = usage["all"]
        yield connection["nodes"]
        page_info = connection["pageInfo"]
        if not page_info["hasNextPage"]:
            return
        variables["after"] = page_info["endCursor"]


def run(args: argparse.Namespace, out: t.TextIO) -> dict[str, t.Any]:
    """Write every event of the range to `out`; return the request statistics."""
    url = args.url.rstrip("/") + "/api/graphql"
    pages_per_day: dict[str, int] = {}
    events = 0
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {args.token}"
        for day in days(args.start, args.end):
            prefix = day.isoformat()
            pages = 0
            for nodes in fetch_day(session, url, args.group, day, args.page_size):
                pages += 1
                for node in nodes:
                    timestamp = node["timestamp"]
                    if not timestamp.startswith(prefix):
                        continue  # the next day's first instant: it belongs to that day
                    user = node.get("user") or {}
                    event = {
                        "timestamp": timestamp,
                        "event": node["event"],
                        "user_id": user.get("id"),
                        "username": user.get("username"),
                    }
                    out.write(json.dumps(event))
                    out.write("\n")
                    events += 1
            pages_per_day[prefix] = pages
    out.flush()
    return {
        "requests": sum(pages_per_day.values()),
        "events": events,
        "pages_per_day": pages_per_day,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.plain_client", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--url", required=True, help="GitLab base URL")
    parser.add_argument("--token", required=True, help="access token (sent as Bearer)")
    parser.add_argument("--group", required=True, help="full path of the group")
    parser.add_argument("--start", required=True, type=dt.date.fromisoformat)
    parser.add_argument(
        "--end", required=True, type=dt.date.fromisoformat, help="last day read (inclusive)"
    )
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--stats", help="write request statistics (JSON) to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        stats = run(args, sys.stdout)
    except (requests.RequestException, PlainClientError, KeyError, ValueError) as error:
        print(f"plain client: {error}", file=sys.stderr)
        return 1
    if args.stats:
        with open(args.stats, "w", encoding="utf-8") as handle:
            json.dump(stats, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
