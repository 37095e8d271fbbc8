"""Resolvers of Duo seats: purchases, eligible users and their assignments.

Seat management is for Owners of the root group (`admin_add_on_purchase`) and, for the
instance, for administrators; anyone else gets the resource-not-available error and a null
field. Eligible users are offset-paginated (opaque cursors) and have a `count`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from graphql import GraphQLResolveInfo

from simulator.cursor_paging import CursorPage, offset_page
from simulator.errors import ArgumentError, ResourceNotAvailableError
from simulator.org import Namespace, User
from simulator.request_context import RequestContext, context_of
from simulator.seats import INSTANCE_SCOPE, AddOnPurchase

Resolver = Callable[..., Any]

ROOT_NAMESPACE_MESSAGE = "Add on eligible users can only be queried on a root namespace"
_TRUE = re.compile(r"^(true|t|yes|y|1|on)$", re.IGNORECASE)
_FALSE = re.compile(r"^(false|f|no|n|0|off)$", re.IGNORECASE)


def to_boolean(value: str | None) -> bool | None:
    """Ruby's `Gitlab::Utils.to_boolean`: None for anything it does not recognise."""
    if value is None:
        return None
    if _TRUE.match(value):
        return True
    if _FALSE.match(value):
        return False
    return None


# -- Query.addOnPurchases -----------------------------------------------------------------------


def resolve_add_on_purchases(
    _root: object, info: GraphQLResolveInfo, **arguments: Any
) -> list[AddOnPurchase]:
    """A root group's purchases for its Owners; without `namespaceId`, the instance's."""
    context = context_of(info)
    namespace_id = arguments.get("namespaceId")
    if namespace_id is None:
        if not context.viewer.is_admin:
            raise ResourceNotAvailableError
        return context.seats.purchases_of(INSTANCE_SCOPE)
    namespace = context.org.namespace_by_id.get(namespace_id)
    if (
        namespace is None
        or namespace.kind != "group"
        or not context.viewer.can_admin_add_ons(namespace)
    ):
        raise ResourceNotAvailableError
    return context.seats.purchases_of(namespace.full_path)  # a subgroup has none


# -- eligible users -----------------------------------------------------------------------------


def _user_sort_key(context: RequestContext, sort: str) -> Callable[[User], Any]:
    if sort.startswith("NAME"):
        return lambda user: (user.name, user.id)
    if sort.startswith("LAST_ACTIVITY_ON"):
        return lambda user: (context.activity.last_activity_on(user) or date.min, user.id)
    return lambda user: user.id


def _eligible_users(
    context: RequestContext, scope: str, arguments: dict[str, Any]
) -> CursorPage[User]:
    users = context.seats.eligible_users(scope)
    search = (arguments.get("search") or "").strip().lower()
    if search:
        users = [u for u in users if search in u.username.lower() or search in u.name.lower()]
    assigned = to_boolean(arguments.get("filterByAssignedSeat"))
    if assigned is not None:
        purchase = context.seats.purchase(scope, arguments["addOnType"])
        users = [
            u
            for u in users
            if (purchase is not None and context.seats.is_assigned(purchase, u.id)) == assigned
        ]
    sort = arguments.get("sort") or "ID_ASC"
    users.sort(key=_user_sort_key(context, sort), reverse=sort.endswith("_DESC"))
    page = offset_page(
        users,
        first=arguments.get("first"),
        after=arguments.get("after"),
        last=arguments.get("last"),
        before=arguments.get("before"),
    )
    return replace(page, total_count=len(users))


def resolve_add_on_eligible_users(
    namespace: Namespace, info: GraphQLResolveInfo, **arguments: Any
) -> CursorPage[User]:
    context = context_of(info)
    if not context.viewer.can_admin_add_ons(namespace):
        raise ResourceNotAvailableError
    if namespace.parent_id is not None:
        raise ArgumentError(ROOT_NAMESPACE_MESSAGE)
    return _eligible_users(context, namespace.full_path, arguments)


def resolve_self_managed_add_on_eligible_users(
    _root: object, info: GraphQLResolveInfo, **arguments: Any
) -> CursorPage[User]:
    context = context_of(info)
    if not context.viewer.is_admin:
        raise ResourceNotAvailableError
    return _eligible_users(context, INSTANCE_SCOPE, arguments)


def resolve_count(page: CursorPage[Any], _info: GraphQLResolveInfo, **arguments: Any) -> int:
    total = page.total_count if page.total_count is not None else len(page.rows)
    limit = arguments.get("limit")
    return total if limit is None else min(total, limit)


# -- AddOnUser ----------------------------------------------------------------------------------


def resolve_add_on_assignments(
    user: User, info: GraphQLResolveInfo, **arguments: Any
) -> CursorPage[AddOnPurchase]:
    purchase_ids = set(arguments["addOnPurchaseIds"])
    return offset_page(
        context_of(info).seats.assignments_of(user.id, purchase_ids),
        first=arguments.get("first"),
        after=arguments.get("after"),
        last=arguments.get("last"),
        before=arguments.get("before"),
    )


def resolve_last_activity_on(user: User, info: GraphQLResolveInfo) -> date | None:
    return context_of(info).activity.last_activity_on(user)


def resolve_last_duo_activity_on(user: User, info: GraphQLResolveInfo) -> date | None:
    return context_of(info).activity.last_duo_activity_on(user.id)


# -- AddOnPurchase ------------------------------------------------------------------------------


def resolve_purchase_id(purchase: AddOnPurchase, _info: GraphQLResolveInfo) -> str:
    return purchase.global_id


def resolve_purchase_name(purchase: AddOnPurchase, _info: GraphQLResolveInfo) -> str:
    return purchase.add_on_type


def resolve_purchased_quantity(purchase: AddOnPurchase, _info: GraphQLResolveInfo) -> int:
    return purchase.purchased_quantity


def resolve_assigned_quantity(purchase: AddOnPurchase, info: GraphQLResolveInfo) -> int:
    return context_of(info).seats.assigned_quantity(purchase)


def resolve_assignment_purchase(
    purchase: AddOnPurchase, _info: GraphQLResolveInfo
) -> AddOnPurchase:
    return purchase


ADD_ON_PURCHASE_FIELDS: dict[str, Resolver] = {
    "id": resolve_purchase_id,
    "name": resolve_purchase_name,
    "purchasedQuantity": resolve_purchased_quantity,
    "assignedQuantity": resolve_assigned_quantity,
}
