"""Duo add-on purchases and seat assignments, and who may hold a seat.

Purchases are fixed: ACME Corp bought Duo Enterprise (30 seats) and Duo Pro
(`CODE_SUGGESTIONS`, 10 seats), Globex Duo Pro (5 seats), and the instance, seen as a
self-managed installation, Duo Enterprise (30 seats). Eligible users are the human members
of the root group (for the instance: every human user); bots (service accounts) are not
eligible, as GitLab leaves them out of seat management. Initial assignments follow the
people: heavy and regular Duo users hold a Duo Enterprise seat, except two whose seats
were never bought; the idle colleagues hold one they do not use; most light users of
ACME hold a Duo Pro seat. Assignments change at runtime through the control API.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass

from simulator.org import Organisation, User

INSTANCE_SCOPE = ""  # the scope of the self-managed purchase
ADD_ON_TYPES = ("CODE_SUGGESTIONS", "DUO_AMAZON_Q", "DUO_CORE", "DUO_ENTERPRISE")

# Regular Duo users without a seat: the seats were never bought for them.
_WITHOUT_ENTERPRISE_SEAT = frozenset({"fatima.zahra", "hannah.weber"})
_DUO_PRO_HOLDERS = {
    "acme-corp": frozenset(
        {"farid.haddad", "jamal.wright", "maria.silva", "quinn.murphy", "xavier.dupont"}
        | {"ivan.petrov"}  # deactivated since: the seat stays until an Owner frees it
    ),
    "globex": frozenset({"isabel.garcia", "valentina.costa", "leila.ahmadi", "umar.farouk"}),
}


class SeatError(ValueError):
    """A seat change GitLab would refuse: unknown purchase or user, or no seat left."""


@dataclass(frozen=True)
class AddOnPurchase:
    """One add-on subscription of a root group, or of the instance (scope "")."""

    id: int
    scope: str
    add_on_type: str
    purchased_quantity: int

    @property
    def global_id(self) -> str:
        return f"gid://gitlab/GitlabSubscriptions::AddOnPurchase/{self.id}"


PURCHASES: tuple[AddOnPurchase, ...] = (
    AddOnPurchase(id=4101, scope="acme-corp", add_on_type="DUO_ENTERPRISE", purchased_quantity=30),
    AddOnPurchase(
        id=4102, scope="acme-corp", add_on_type="CODE_SUGGESTIONS", purchased_quantity=10
    ),
    AddOnPurchase(id=4387, scope="globex", add_on_type="CODE_SUGGESTIONS", purchased_quantity=5),
    AddOnPurchase(id=17, scope=INSTANCE_SCOPE, add_on_type="DUO_ENTERPRISE", purchased_quantity=30),
)


def _initial_holder(purchase: AddOnPurchase, user: User) -> bool:
    if purchase.add_on_type == "DUO_ENTERPRISE":
        if user.activity == "idle":
            return True
        return (
            user.activity in ("heavy", "regular") and user.username not in _WITHOUT_ENTERPRISE_SEAT
        )
    return user.username in _DUO_PRO_HOLDERS.get(purchase.scope, frozenset())


class SeatLedger:
    """Purchases, eligible users and the current assignments; safe across threads."""

    def __init__(self, org: Organisation, purchases: Collection[AddOnPurchase] = PURCHASES) -> None:
        self.org = org
        self.purchases: tuple[AddOnPurchase, ...] = tuple(purchases)
        self._lock = threading.Lock()
        self._holders: dict[int, set[int]] = {
            purchase.id: {
                user.id
                for user in self.eligible_users(purchase.scope)
                if _initial_holder(purchase, user)
            }
            for purchase in self.purchases
        }

    # -- reading ------------------------------------------------------------------------------

    def purchases_of(self, scope: str) -> list[AddOnPurchase]:
        return [purchase for purchase in self.purchases if purchase.scope == scope]

    def purchase(self, scope: str, add_on_type: str) -> AddOnPurchase | None:
        return next((p for p in self.purchases_of(scope) if p.add_on_type == add_on_type), None)

    def eligible_users(self, scope: str) -> list[User]:
        """Human members of the root group `scope` (every human for the instance), by id."""
        return [
            user
            for user in self.org.users
            if not user.bot
            and (scope == INSTANCE_SCOPE or any(p.split("/", 1)[0] == scope for p in user.projects))
        ]

    def assigned_quantity(self, purchase: AddOnPurchase) -> int:
        with self._lock:
            return len(self._holders[purchase.id])

    def is_assigned(self, purchase: AddOnPurchase, user_id: int) -> bool:
        with self._lock:
            return user_id in self._holders[purchase.id]

    def assignments_of(self, user_id: int, purchase_ids: Collection[int]) -> list[AddOnPurchase]:
        """The user's assignments among the given purchases, by purchase id."""
        with self._lock:
            return [
                purchase
                for purchase in sorted(self.purchases, key=lambda p: p.id)
                if purchase.id in purchase_ids and user_id in self._holders[purchase.id]
            ]

    # -- writing ------------------------------------------------------------------------------

    def set_assigned(
        self, scope: str, add_on_type: str, username: str, assigned: bool
    ) -> AddOnPurchase:
        """Assign or revoke a seat; assigning beyond the purchased quantity is refused."""
        purchase = self.purchase(scope, add_on_type)
        if purchase is None:
            where = repr(scope) if scope else "the instance"
            raise SeatError(f"{where} has no {add_on_type} purchase")
        user = self.org.user_by_username.get(username)
        if user is None or user not in self.eligible_users(scope):
            raise SeatError(f"{username!r} is not eligible for seats of this purchase")
        with self._lock:
            holders = self._holders[purchase.id]
            if assigned and user.id not in holders:
                if len(holders) >= purchase.purchased_quantity:
                    raise SeatError("No seats available")
                holders.add(user.id)
            elif not assigned:
                holders.discard(user.id)
        return purchase
