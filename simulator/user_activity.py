"""When users were last active: on Duo (from their events) and on GitLab at all.

`AddOnUser.lastDuoActivityOn` comes from GitLab's `ai_user_metrics` table, bumped by every
tracked event in any namespace: here, the date of the user's latest event. `lastActivityOn`
is GitLab's general activity date (any sign-in, push, page view); here it is derived from
the user and the data's end date, and never before `lastDuoActivityOn`.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import date, timedelta

from simulator.org import User
from simulator.store import EventStore
from simulator.timeutil import day_of_ms

# Days between the end of the data and a user's last activity: (base, spread) by kind.
_ACTIVE_GAP = (0, 3)
_IDLE_GAP = (3, 12)
_GONE_GAP = (20, 30)  # blocked and deactivated accounts


def _spread(username: str, spread: int) -> int:
    digest = hashlib.blake2b(username.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % spread


class UserActivity:
    """Activity dates per user, recomputed when events are added."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._revision = -1
        self._last_duo: dict[int, date] = {}

    def last_duo_activity_on(self, user_id: int) -> date | None:
        """The date of the user's latest Duo event, in any namespace."""
        with self._lock:
            if self._revision != self._store.revision:
                self._revision = self._store.revision
                self._last_duo = self._scan()
            return self._last_duo.get(user_id)

    def last_activity_on(self, user: User) -> date:
        """A deterministic last activity date, on or after the last Duo activity."""
        if user.state != "active":
            base, spread = _GONE_GAP
        elif user.activity == "idle":
            base, spread = _IDLE_GAP
        else:
            base, spread = _ACTIVE_GAP
        day = self._store.dataset.end_date - timedelta(days=base + _spread(user.username, spread))
        last_duo = self.last_duo_activity_on(user.id)
        return max(day, last_duo) if last_duo is not None else day

    def _scan(self) -> dict[int, date]:
        first, last = self._store.data_days()
        latest: dict[int, date] = {}
        day = last
        while day >= first:
            for event in self._store.events_on(day):
                if event.user_id not in latest:
                    latest[event.user_id] = day_of_ms(event.timestamp_ms)
            day -= timedelta(days=1)
        return latest
