"""What the aggregates say may happen next: `Warehouse.allowed_actions` and
`Order.allowed_actions`, for every status and every role, and the transitions that refuse
through them. Pure: no database, no aiogram.

The expected tables are written out here on purpose rather than read from the model, so a change
to who may do what shows up as a failing test to be read, not a silent new button.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import ConflictError, DomainError, NotFound
from domain.model import (
    DocumentKind,
    Order,
    OrderAction,
    OrderStatus,
    ReminderKind,
    Warehouse,
    WarehouseAction,
    WarehouseDocument,
    WarehouseKind,
    WarehouseStatus,
)
from domain.roles import Role

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
OPERATOR = 42


SELLER_WAREHOUSE_ACTIONS = {
    WarehouseStatus.DRAFT: {WarehouseAction.EDIT, WarehouseAction.SUBMIT, WarehouseAction.ARCHIVE},
    WarehouseStatus.PENDING_REVIEW: {WarehouseAction.EDIT, WarehouseAction.ARCHIVE},
    WarehouseStatus.VERIFIED: {WarehouseAction.EDIT, WarehouseAction.ARCHIVE},
    WarehouseStatus.REJECTED: {WarehouseAction.ARCHIVE},
    WarehouseStatus.NEEDS_DOCUMENTS: {
        WarehouseAction.EDIT,
        WarehouseAction.ADD_DOCUMENTS,
        WarehouseAction.SUBMIT,
        WarehouseAction.ARCHIVE,
    },
    WarehouseStatus.SUSPENDED: {
        WarehouseAction.EDIT,
        WarehouseAction.ADD_DOCUMENTS,
        WarehouseAction.SUBMIT,
        WarehouseAction.ARCHIVE,
    },
    WarehouseStatus.ARCHIVED: set(),
}
OPERATOR_WAREHOUSE_ACTIONS = {
    WarehouseStatus.PENDING_REVIEW: {
        WarehouseAction.APPROVE,
        WarehouseAction.REJECT,
        WarehouseAction.REQUEST_DOCUMENTS,
    },
    WarehouseStatus.VERIFIED: {WarehouseAction.SUSPEND},
}


def _expected_warehouse_actions(role: Role, status: WarehouseStatus) -> set[WarehouseAction]:
    if role == Role.SELLER:
        return SELLER_WAREHOUSE_ACTIONS[status]
    if role == Role.OPERATOR:
        return OPERATOR_WAREHOUSE_ACTIONS.get(status, set())
    return set()  # buyers and guests have nothing to do with warehouses


def _warehouse(status: WarehouseStatus) -> Warehouse:
    return Warehouse(
        seller_id=1,
        kind=WarehouseKind.DOMESTIC,
        name="Main",
        name_key="main",
        country="CN",
        street="1 Road",
        city="Shenzhen",
        contact_name="Li",
        contact_phone="+8613800138000",
        capabilities=["shipping"],
        status=status,
        created_at=NOW,
        updated_at=NOW,
        documents=[
            WarehouseDocument(
                kind=DocumentKind.BUSINESS_LICENCE,
                telegram_file_id="f",
                file_unique_id="u",
                file_name="licence.pdf",
                mime_type="application/pdf",
                size=10,
                uploaded_at=NOW,
            )
        ],
    )


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("status", list(WarehouseStatus))
def test_warehouse_allowed_actions_for_every_status_and_role(
    status: WarehouseStatus, role: Role
) -> None:
    assert _warehouse(status).allowed_actions(role) == _expected_warehouse_actions(role, status)


def test_every_warehouse_action_is_allowed_somewhere() -> None:
    """The table is live: no action is declared that no one can ever take."""
    reachable = {
        action
        for role in Role
        for status in WarehouseStatus
        for action in _warehouse(status).allowed_actions(role)
    }
    assert reachable == set(WarehouseAction)


# Each action taken through the aggregate, and the status it leaves the warehouse in (None: the
# status does not change). Adding documents has no transition: the service checks it (below).
WAREHOUSE_MOVES = {
    WarehouseAction.SUBMIT: (lambda w: w.submit(NOW), WarehouseStatus.PENDING_REVIEW),
    WarehouseAction.ARCHIVE: (lambda w: w.archive(NOW), WarehouseStatus.ARCHIVED),
    WarehouseAction.EDIT: (lambda w: w.edited(NOW), None),
    WarehouseAction.APPROVE: (lambda w: w.approve(OPERATOR, NOW), WarehouseStatus.VERIFIED),
    WarehouseAction.REJECT: (
        lambda w: w.reject(OPERATOR, "blurry licence", NOW),
        WarehouseStatus.REJECTED,
    ),
    WarehouseAction.REQUEST_DOCUMENTS: (
        lambda w: w.request_documents(OPERATOR, "send the lease", NOW),
        WarehouseStatus.NEEDS_DOCUMENTS,
    ),
    WarehouseAction.SUSPEND: (
        lambda w: w.suspend(OPERATOR, "expired licence", NOW),
        WarehouseStatus.SUSPENDED,
    ),
}
ROLE_OF_ACTION = {
    **{
        action: Role.SELLER
        for action in (
            WarehouseAction.SUBMIT,
            WarehouseAction.ARCHIVE,
            WarehouseAction.EDIT,
            WarehouseAction.ADD_DOCUMENTS,
        )
    },
    **{
        action: Role.OPERATOR
        for action in (
            WarehouseAction.APPROVE,
            WarehouseAction.REJECT,
            WarehouseAction.REQUEST_DOCUMENTS,
            WarehouseAction.SUSPEND,
        )
    },
}


@pytest.mark.parametrize("action", list(WAREHOUSE_MOVES))
@pytest.mark.parametrize("status", list(WarehouseStatus))
def test_a_warehouse_moves_exactly_when_its_allowed_actions_say_so(
    status: WarehouseStatus, action: WarehouseAction
) -> None:
    warehouse = _warehouse(status)
    move, leads_to = WAREHOUSE_MOVES[action]
    # Only a verified warehouse goes back to review when its owner changes it.
    needs_review = warehouse.edit_needs_review
    assert needs_review == (status == WarehouseStatus.VERIFIED)
    if action in warehouse.allowed_actions(ROLE_OF_ACTION[action]):
        move(warehouse)
        if leads_to is None:
            leads_to = WarehouseStatus.PENDING_REVIEW if needs_review else status
        assert warehouse.status == leads_to
    else:
        with pytest.raises(ConflictError):
            move(warehouse)
        assert warehouse.status == status


@pytest.mark.parametrize("status", list(WarehouseStatus))
def test_an_operator_decision_is_never_the_sellers_and_the_reverse(
    status: WarehouseStatus,
) -> None:
    warehouse = _warehouse(status)
    seller_side = {action for action, role in ROLE_OF_ACTION.items() if role == Role.SELLER}
    assert not warehouse.allowed_actions(Role.SELLER) - seller_side
    assert not warehouse.allowed_actions(Role.OPERATOR) & seller_side


@pytest.mark.parametrize(
    ("action", "status", "key", "params"),
    [
        (
            WarehouseAction.EDIT,
            WarehouseStatus.REJECTED,
            "warehouse.not_editable",
            {"current": "rejected"},
        ),
        (
            WarehouseAction.ADD_DOCUMENTS,
            WarehouseStatus.VERIFIED,
            "warehouse.documents_not_requested",
            {},
        ),
        (
            WarehouseAction.SUBMIT,
            WarehouseStatus.VERIFIED,
            "warehouse.transition_refused",
            {"current": "verified", "wanted": "pending_review"},
        ),
        (
            WarehouseAction.APPROVE,
            WarehouseStatus.VERIFIED,
            "warehouse.transition_refused",
            {"current": "verified", "wanted": "verified"},
        ),
    ],
)
def test_a_refused_warehouse_action_says_why(
    action: WarehouseAction, status: WarehouseStatus, key: str, params: dict[str, str]
) -> None:
    with pytest.raises(DomainError) as refused:
        _warehouse(status).require(action, ROLE_OF_ACTION[action])
    assert (refused.value.key, refused.value.params) == (key, params)


def test_a_seller_may_not_take_an_operators_decision() -> None:
    with pytest.raises(ConflictError):
        _warehouse(WarehouseStatus.PENDING_REVIEW).require(WarehouseAction.APPROVE, Role.SELLER)


# ----- orders -----

FOLLOWING = {OrderAction.FOLLOW_SHIPMENT, OrderAction.NEW_BUYER_LINK}
UNDELIVERABLE = {OrderAction.SHIP_AGAIN, OrderAction.CANCEL_AND_REFUND}
SELLER_ORDER_ACTIONS = {
    OrderStatus.AWAITING_CONFIRMATION: {OrderAction.CONFIRM, OrderAction.CANCEL},
    OrderStatus.CONFIRMED: {OrderAction.SHIP, OrderAction.CANCEL},
    OrderStatus.SHIPPED: FOLLOWING,
    OrderStatus.DELIVERED: FOLLOWING,
    OrderStatus.CANCELLED: set(),
    OrderStatus.RETURNED: FOLLOWING,
    # Still moving, maybe: tracking moves it on by itself (see ACTIONS_BY_ROLE).
    OrderStatus.IN_TROUBLE: FOLLOWING,
    # The parcel will not arrive: send the goods again, or cancel and refund.
    OrderStatus.LOST: FOLLOWING | UNDELIVERABLE,
    OrderStatus.RETURNED_TO_SENDER: FOLLOWING | UNDELIVERABLE,
    # The buyer paid and was told a new parcel is coming: ship it, or give up and refund.
    OrderStatus.TO_SHIP_AGAIN: {OrderAction.SHIP, OrderAction.CANCEL_AND_REFUND},
}
# The buyer asks for a return once the goods are on their way or arrived (not lost, not back).
RETURNING = {OrderAction.OPEN_RETURN}
BUYER_ORDER_ACTIONS = {
    OrderStatus.SHIPPED: RETURNING,
    OrderStatus.DELIVERED: RETURNING,
    OrderStatus.IN_TROUBLE: RETURNING,
}


def _order(status: OrderStatus) -> Order:
    return Order(number="AE-1", status=status, ship_by=NOW)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("status", list(OrderStatus))
def test_order_allowed_actions_for_every_status_and_role(status: OrderStatus, role: Role) -> None:
    if role == Role.SELLER:
        expected = SELLER_ORDER_ACTIONS[status]
    elif role == Role.BUYER:
        expected = BUYER_ORDER_ACTIONS.get(status, set())
    else:
        expected = set()
    assert _order(status).allowed_actions(role) == expected


def test_every_order_action_is_allowed_somewhere() -> None:
    reachable = {a for s in OrderStatus for r in Role for a in _order(s).allowed_actions(r)}
    assert reachable == set(OrderAction)


ORDER_MOVES = {
    OrderAction.CONFIRM: (lambda o: o.confirm(NOW), OrderStatus.CONFIRMED),
    OrderAction.CANCEL: (
        lambda o: o.cancel("buyer changed their mind", NOW),
        OrderStatus.CANCELLED,
    ),
    OrderAction.SHIP: (lambda o: o.mark_shipped(NOW), OrderStatus.SHIPPED),
    OrderAction.SHIP_AGAIN: (lambda o: o.ship_again(), OrderStatus.TO_SHIP_AGAIN),
    OrderAction.CANCEL_AND_REFUND: (
        lambda o: o.cancel_and_refund("parcel lost by the carrier", NOW),
        OrderStatus.CANCELLED,
    ),
}


@pytest.mark.parametrize("action", list(ORDER_MOVES))
@pytest.mark.parametrize("status", list(OrderStatus))
def test_an_order_moves_exactly_when_its_allowed_actions_say_so(
    status: OrderStatus, action: OrderAction
) -> None:
    order = _order(status)
    move, leads_to = ORDER_MOVES[action]
    if action in order.allowed_actions(Role.SELLER):
        move(order)
        assert order.status == leads_to
    else:
        with pytest.raises(ConflictError):
            move(order)
        assert order.status == status


@pytest.mark.parametrize(
    ("action", "status", "error", "key", "params"),
    [
        (
            OrderAction.CONFIRM,
            OrderStatus.SHIPPED,
            ConflictError,
            "orders.transition_refused",
            {"current": "shipped", "wanted": "confirmed"},
        ),
        (
            OrderAction.CANCEL,
            OrderStatus.DELIVERED,
            ConflictError,
            "orders.transition_refused",
            {"current": "delivered", "wanted": "cancelled"},
        ),
        (
            OrderAction.SHIP,
            OrderStatus.AWAITING_CONFIRMATION,
            ConflictError,
            "shipping.order_not_confirmed",
            {"number": "AE-1", "status": "awaiting_confirmation"},
        ),
        (
            OrderAction.NEW_BUYER_LINK,
            OrderStatus.CONFIRMED,
            ConflictError,
            "buyer_link.not_shipped",
            {"number": "AE-1"},
        ),
        (OrderAction.FOLLOW_SHIPMENT, OrderStatus.CANCELLED, NotFound, "shipments.not_found", {}),
        # A stale "Ship again" or "Cancel and refund": the parcel turned up, or the seller
        # already chose what to do.
        (
            OrderAction.SHIP_AGAIN,
            OrderStatus.DELIVERED,
            ConflictError,
            "orders.parcel_not_undeliverable",
            {"status": "delivered"},
        ),
        (
            OrderAction.SHIP_AGAIN,
            OrderStatus.TO_SHIP_AGAIN,
            ConflictError,
            "orders.parcel_not_undeliverable",
            {"status": "to_ship_again"},
        ),
        (
            OrderAction.CANCEL_AND_REFUND,
            OrderStatus.IN_TROUBLE,
            ConflictError,
            "orders.parcel_not_undeliverable",
            {"status": "in_trouble"},
        ),
    ],
)
def test_a_refused_order_action_says_why(
    action: OrderAction,
    status: OrderStatus,
    error: type[DomainError],
    key: str,
    params: dict[str, str],
) -> None:
    with pytest.raises(error) as refused:
        _order(status).require(action, Role.SELLER)
    assert (refused.value.key, refused.value.params) == (key, params)


@pytest.mark.parametrize("role", [Role.BUYER, Role.OPERATOR, Role.GUEST])
def test_only_the_seller_acts_on_an_order(role: Role) -> None:
    with pytest.raises(ConflictError):
        _order(OrderStatus.AWAITING_CONFIRMATION).require(OrderAction.CONFIRM, role)


@pytest.mark.parametrize("status", [OrderStatus.CONFIRMED, OrderStatus.LOST, OrderStatus.RETURNED])
def test_a_buyer_cannot_ask_for_a_return_before_the_goods_left_or_once_they_are_gone(
    status: OrderStatus,
) -> None:
    with pytest.raises(ConflictError) as refused:
        _order(status).require(OrderAction.OPEN_RETURN, Role.BUYER)
    assert (refused.value.key, refused.value.params) == (
        "returns.order_not_returnable",
        {"status": status.value},
    )
    # The seller never opens a return on their own order.
    with pytest.raises(ConflictError):
        _order(OrderStatus.DELIVERED).require(OrderAction.OPEN_RETURN, Role.SELLER)


@pytest.mark.parametrize("status", [OrderStatus.LOST, OrderStatus.RETURNED_TO_SENDER])
def test_a_parcel_sent_again_ships_the_order_again_with_its_own_dates(status: OrderStatus) -> None:
    order = _order(status)
    order.shipped_at = NOW - timedelta(days=20)
    order.ship_again()
    # Waiting for the new document: on the "to ship" list, not an open order (no ship-by
    # reminders for a deadline long past, no plain cancellation of a paid order).
    assert order.status == OrderStatus.TO_SHIP_AGAIN and not order.is_open
    assert order.reminder_due(NOW + timedelta(days=30)) is None
    order.mark_shipped(NOW)
    assert order.status == OrderStatus.SHIPPED and order.shipped_at == NOW
    # The new parcel is tracked like the first: it may be lost or come back too.
    order.mark_lost()
    assert OrderAction.SHIP_AGAIN in order.allowed_actions(Role.SELLER)


def test_cancelling_and_refunding_keeps_the_reason_and_the_moment() -> None:
    order = _order(OrderStatus.TO_SHIP_AGAIN)
    order.cancel_and_refund("out of stock", NOW)
    assert (order.status, order.cancel_reason, order.cancelled_at) == (
        OrderStatus.CANCELLED,
        "out of stock",
        NOW,
    )
    assert order.allowed_actions(Role.SELLER) == frozenset()


def test_tracking_no_longer_moves_an_order_whose_goods_go_out_again() -> None:
    """A late report about the old parcel (delivered, returned, moving) is refused by the
    order, which tracking then leaves alone."""
    for move in (
        lambda o: o.mark_delivered(NOW),
        lambda o: o.mark_returned_to_sender(NOW),
        lambda o: o.mark_lost(),
        lambda o: o.mark_in_trouble(),
        lambda o: o.mark_moving_again(),
    ):
        order = _order(OrderStatus.TO_SHIP_AGAIN)
        with pytest.raises(ConflictError):
            move(order)
        assert order.status == OrderStatus.TO_SHIP_AGAIN


def test_the_ship_by_deadline_has_come_at_its_moment_and_after() -> None:
    order = _order(OrderStatus.CONFIRMED)
    assert not order.past_ship_by(NOW - timedelta(seconds=1))
    assert order.past_ship_by(NOW)
    assert order.past_ship_by(NOW + timedelta(days=1))
    assert order.reminder_due(NOW) is ReminderKind.OVERDUE
