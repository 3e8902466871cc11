"""Button labels of the orders features (intake, list, confirmation, import)."""

from __future__ import annotations

from templates.labels_base import N_, NP_, Plural

ORDER_LABELS: dict[str, str | Plural] = {
    # /orders: filters, list items, card
    "orders.filter_awaiting": N_("🆕 To confirm"),
    "orders.filter_to_ship": N_("📦 To ship"),
    "orders.filter_shipped": N_("🚚 Shipped"),
    "orders.filter_problems": N_("⚠️ Problems"),
    "orders.filter_current": N_("• {name} •"),
    "orders.list_item": N_("{number} · {total} · {deadline}"),
    "orders.confirm": N_("✅ Confirm order"),
    "orders.cancel": N_("✖️ Cancel order"),
    "orders.keep": N_("↩️ Keep the order"),
    "orders.ship_again": N_("🔁 Ship again"),
    "orders.cancel_and_refund": N_("💸 Cancel and refund"),
    "orders.refund_confirm": N_("💸 Yes, cancel and refund"),
    "orders.open": N_("📄 Open the order"),
    "orders.back_to_list": N_("⬅️ All orders"),
    "order_status.awaiting_confirmation": N_("🆕 Awaiting confirmation"),
    "order_status.confirmed": N_("✅ Confirmed, to ship"),
    "order_status.shipped": N_("🚚 Shipped"),
    "order_status.delivered": N_("📬 Delivered"),
    "order_status.cancelled": N_("✖️ Cancelled"),
    "order_status.returned": N_("↩️ Returned"),
    "order_status.to_ship_again": N_("🔁 Being sent again"),
    # /neworder conversation
    "new_order.skip": N_("⏭ Skip"),
    "new_order.add_line": N_("➕ Add another line"),
    "new_order.lines_done": N_("✅ Done with lines"),
    "new_order.change_line": N_("✏️ Change a line"),
    "new_order.remove_line": N_("🗑 Remove a line"),
    "new_order.in_days": N_("+{days} d · {date}"),
    "new_order.create": N_("✅ Create the order"),
    "new_order.edit_number": N_("✏️ Order number"),
    "new_order.edit_ship_to": N_("✏️ Ship to"),
    "new_order.edit_currency": N_("✏️ Currency"),
    "new_order.edit_lines": N_("✏️ Lines"),
    "new_order.edit_ship_by": N_("✏️ Ship-by date"),
    # Blockers and reasons rendered as plain text inside other messages
    "erasure.open_orders": NP_("{count} open order", "{count} open orders"),
    "warehouse.used_by_open_orders": N_("used by orders not yet shipped"),
    # Command menu descriptions (setMyCommands)
    "command.orders": N_("Your orders: confirm, cancel, follow deadlines"),
    "command.neworder": N_("Enter an order by hand"),
    "command.import": N_("Import orders from a CSV or XLSX file"),
}
