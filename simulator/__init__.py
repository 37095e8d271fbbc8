"""A faithful local stand-in for GitLab's Duo usage analytics GraphQL API.

Start one in-process with `Simulator(SimulatorConfig(...)).start()` (or as a context
manager), or as a process with `python -m simulator`; point the tap's `api_url` at its URL.
"""

from simulator.app import Simulator
from simulator.auth import (
    ADMIN_TOKEN,
    GUEST_TOKEN,
    OUTSIDER_TOKEN,
    OWNER_TOKEN,
    REPORTER_TOKEN,
    Role,
    TokenGrant,
)
from simulator.config import SimulatorConfig

__all__ = [
    "ADMIN_TOKEN",
    "GUEST_TOKEN",
    "OUTSIDER_TOKEN",
    "OWNER_TOKEN",
    "REPORTER_TOKEN",
    "Role",
    "Simulator",
    "SimulatorConfig",
    "TokenGrant",
]
