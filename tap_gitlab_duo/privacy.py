"""Privacy mode: people become stable pseudonyms before any key or record is made.

An HMAC-SHA256 under the user's secret key replaces the GitLab user id and username;
display names are dropped. The same person gets the same pseudonym in every stream and
every run (so joins, counts of distinct users and segments still work), and nobody
without the key can turn a pseudonym back into a GitLab user: the id space is small
enough to enumerate, which is why a plain, unkeyed hash would not do.
"""

from __future__ import annotations

import hashlib
import hmac
import typing as t

# Ids stay integers below 2**53, so JavaScript dashboards and JSON readers keep them
# exact; with 52 bits, two users of even a very large instance do not collide in practice.
_ID_BITS = 52
MIN_KEY_LENGTH = 16


class Pseudonymizer:
    """Turns a GitLab user into the same pseudonymous ``user_id`` and ``username``."""

    keeps_names = False

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def _digest(self, identity: str) -> bytes:
        return hmac.new(self._key, identity.encode(), hashlib.sha256).digest()

    def person(self, user_id: int | None, username: str | None) -> tuple[int | None, str | None]:
        """The pseudonymous (user_id, username) of a GitLab user.

        The id decides when GitLab gives one, so a renamed user keeps one pseudonym.
        """
        if user_id is None and username is None:
            return None, None
        identity = f"id:{user_id}" if user_id is not None else f"username:{username}"
        digest = self._digest(identity)
        pseudonymous_id = int.from_bytes(digest[:8], "big") >> (64 - _ID_BITS)
        return pseudonymous_id or 1, f"user-{digest[8:16].hex()}"


class Identity:
    """Privacy mode off: people stay who GitLab says they are."""

    keeps_names = True

    def person(self, user_id: int | None, username: str | None) -> tuple[int | None, str | None]:
        return user_id, username


class People(t.Protocol):
    """What records say about a person."""

    keeps_names: bool

    def person(
        self, user_id: int | None, username: str | None
    ) -> tuple[int | None, str | None]: ...


def people_for(config: t.Mapping[str, t.Any]) -> People:
    """What records say about people, as the settings ask."""
    if config.get("pseudonymize_users"):
        return Pseudonymizer(str(config["pseudonymization_key"]))
    return Identity()


def check_privacy(config: t.Mapping[str, t.Any]) -> list[str]:
    """Problems with the privacy settings, one line each."""
    if not config.get("pseudonymize_users"):
        return []
    key = config.get("pseudonymization_key") or ""
    if len(key) < MIN_KEY_LENGTH:
        return [
            "Setting 'pseudonymization_key' must be a secret of at least "
            f"{MIN_KEY_LENGTH} characters when 'pseudonymize_users' is true: generate one, "
            "e.g. with `openssl rand -hex 32`, and keep it (a new key gives everyone new "
            "pseudonyms)."
        ]
    return []
