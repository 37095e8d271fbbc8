"""Who holds a GitLab Duo seat: a full snapshot per root group (or instance) per sync day.

GitLab keeps no history of seat assignments, so every sync writes the day's snapshot
under its own ``snapshot_date``; a revoked seat shows up as ``seat_assigned = false``
(or a missing user) in the next snapshot instead of staying "assigned" for ever.
"""

from __future__ import annotations

import typing as t

from tap_gitlab_duo.client import DuoStream
from tap_gitlab_duo.graphql_response import ScopeNotFoundError, StreamUnavailableError
from tap_gitlab_duo.scopes import GROUP, INSTANCE, Scope
from tap_gitlab_duo.values import parse_gid

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record

# GitLab's GitlabSubscriptionsAddOnType values; a purchase of another add-on is skipped.
ADD_ON_TYPES = ("CODE_SUGGESTIONS", "DUO_AMAZON_Q", "DUO_CORE", "DUO_ENTERPRISE")


class DuoSeatAssignmentsStream(DuoStream):
    """``addOnPurchases`` + ``addOnEligibleUsers`` (self-managed: the instance variant)."""

    name = "duo_seat_assignments"
    query_file = "seats.graphql"
    operations: t.ClassVar[dict[str, str]] = {
        GROUP: "SeatHolderGroup",
        INSTANCE: "SeatHolderInstance",
    }
    primary_keys = ("scope_type", "scope_path", "snapshot_date", "add_on_type", "user_id")
    replication_key = None

    @property
    def emit_activate_version_messages(self) -> bool:
        # An ACTIVATE_VERSION would make the target soft-delete every earlier snapshot
        # day; the history of who held a seat is the point of this stream.
        return False

    def unavailable_cause(self, scope: Scope) -> str:
        if scope.type == INSTANCE:
            return "self-managed seat assignments need an administrator's token"
        return "seat assignments need the Owner role on a root group"

    def variables_for(self, context: Context) -> dict[str, t.Any]:
        variables = super().variables_for(context)
        variables["addOnType"] = context["add_on_type"]
        variables["addOnPurchaseIds"] = [context["add_on_purchase_id"]]
        return variables

    def purchases(self, scope: Scope) -> list[dict[str, t.Any]]:
        """The Duo add-ons bought for a root group (or the instance)."""
        namespace_id = None
        if scope.type == GROUP:
            body = self.execute(
                self.operation("scopes.graphql", "GroupScope"), {"fullPath": scope.path}
            )
            group = (body.get("data") or {}).get("scope")
            if group is None:
                raise ScopeNotFoundError
            namespace_id = group["id"]
        body = self.execute(
            self.operation(self.query_file, "AddOnPurchases"), {"namespaceId": namespace_id}
        )
        found = (body.get("data") or {}).get("addOnPurchases")
        if found is None:
            raise StreamUnavailableError("GitLab returned null for addOnPurchases")
        return t.cast("list[dict[str, t.Any]]", found)

    def get_records(self, context: Context | None) -> t.Iterable[Record]:
        if context is None:
            self.warn_no_scope()
            return
        self._tap.check_access_once(self)  # type: ignore[attr-defined]
        scope = Scope.from_context(context)
        snapshot_date = self._tap.sync_started_at.date().isoformat()  # type: ignore[attr-defined]
        with self.scope_errors(scope):
            if scope.type == GROUP and "/" in scope.path:
                msg = f"'{scope.path}' is a subgroup, and seats belong to root groups"
                raise StreamUnavailableError(msg)
            with self.failures_named(context):
                purchases = self.purchases(scope)
            for purchase in purchases:
                add_on_type = str(purchase["name"]).upper()
                if add_on_type not in ADD_ON_TYPES:
                    self.logger.info(
                        "Skipping add-on %s: not a GitLab Duo add-on", purchase["name"]
                    )
                    continue
                request_context = {
                    **context,
                    "add_on_type": add_on_type,
                    "add_on_purchase_id": purchase["id"],
                }
                for node in self.request_records(request_context):
                    yield self.seat_record(scope, snapshot_date, add_on_type, purchase, node)

    def seat_record(
        self,
        scope: Scope,
        snapshot_date: str,
        add_on_type: str,
        purchase: dict[str, t.Any],
        node: dict[str, t.Any],
    ) -> dict[str, t.Any]:
        assignments = (node.get("addOnAssignments") or {}).get("nodes") or []
        people = self.people
        user_id, username = people.person(parse_gid(node.get("id")), node.get("username"))
        assigned = any(
            (a.get("addOnPurchase") or {}).get("id") == purchase["id"] for a in assignments
        )
        return {
            "scope_type": scope.type,
            "scope_path": scope.path,
            "snapshot_date": snapshot_date,
            "add_on_type": add_on_type,
            "add_on_purchase_id": purchase["id"],
            "purchased_quantity": purchase.get("purchasedQuantity"),
            "assigned_quantity": purchase.get("assignedQuantity"),
            "user_id": user_id,
            "username": username,
            "name": node.get("name") if people.keeps_names else None,
            "state": node.get("state"),
            "bot": node.get("bot"),
            "seat_assigned": assigned,
            "last_activity_on": node.get("lastActivityOn"),
            "last_duo_activity_on": node.get("lastDuoActivityOn"),
        }
