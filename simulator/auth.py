"""Who is asking: tokens, roles, and what GitLab lets each of them see."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

from simulator.org import Namespace


class Role(IntEnum):
    """GitLab membership roles, comparable by access level."""

    GUEST = 10
    REPORTER = 20
    DEVELOPER = 30
    MAINTAINER = 40
    OWNER = 50


@dataclass(frozen=True)
class TokenGrant:
    """What a personal access token may do: instance admin, and roles by group path.

    A role on a group is inherited by everything below it, as GitLab memberships are.
    """

    admin: bool = False
    roles: Mapping[str, Role] = field(default_factory=dict)


ROOT_GROUPS = ("acme-corp", "globex")
# Well-known tokens of a local test server, not secrets.
ADMIN_TOKEN = "glpat-sim-admin"  # noqa: S105
OWNER_TOKEN = "glpat-sim-owner"  # noqa: S105
REPORTER_TOKEN = "glpat-sim-reporter"  # noqa: S105
GUEST_TOKEN = "glpat-sim-guest"  # noqa: S105
OUTSIDER_TOKEN = "glpat-sim-outsider"  # noqa: S105


def default_tokens() -> dict[str, TokenGrant]:
    """The tokens every simulator accepts unless configured otherwise."""
    return {
        ADMIN_TOKEN: TokenGrant(admin=True, roles=dict.fromkeys(ROOT_GROUPS, Role.OWNER)),
        OWNER_TOKEN: TokenGrant(roles=dict.fromkeys(ROOT_GROUPS, Role.OWNER)),
        REPORTER_TOKEN: TokenGrant(roles=dict.fromkeys(ROOT_GROUPS, Role.REPORTER)),
        # Sees the groups but not their Duo analytics: aiUsageData is a silent null.
        GUEST_TOKEN: TokenGrant(roles=dict.fromkeys(ROOT_GROUPS, Role.GUEST)),
        # A valid token of a user without membership: private groups do not exist for them.
        OUTSIDER_TOKEN: TokenGrant(),
    }


@dataclass(frozen=True)
class Viewer:
    """The caller of one request; `grant` is None for an anonymous request."""

    grant: TokenGrant | None = None

    @property
    def is_admin(self) -> bool:
        return self.grant is not None and self.grant.admin

    def role_in(self, namespace: Namespace) -> Role | None:
        """The highest role held on the namespace or any of its ancestors."""
        if self.grant is None:
            return None
        roles = [
            self.grant.roles[path]
            for path in namespace.ancestor_paths()
            if path in self.grant.roles
        ]
        return max(roles, default=None)

    def can_see(self, namespace: Namespace) -> bool:
        """Every group and project is private: members and admins only."""
        return self.is_admin or self.role_in(namespace) is not None

    def can_read_ai_usage(self, namespace: Namespace) -> bool:
        """`read_enterprise_ai_analytics`: Reporter or above (GitLab 18.7+ rules), or admin."""
        if self.is_admin:
            return True
        role = self.role_in(namespace)
        return role is not None and role >= Role.REPORTER

    def can_read_pro_ai_analytics(self, namespace: Namespace) -> bool:
        """`read_pro_ai_analytics` (`aiMetrics`): Reporter or above with the licence, or admin."""
        return self.can_read_ai_usage(namespace)

    def can_admin_add_ons(self, namespace: Namespace) -> bool:
        """`admin_add_on_purchase` (seats): Owner of the namespace (or above it), or admin."""
        if self.is_admin:
            return True
        return self.role_in(namespace) == Role.OWNER
