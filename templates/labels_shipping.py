"""Button labels of the shipping document, logistics comparison, budget and costs."""

from __future__ import annotations

from templates.labels_base import N_

SHIPPING_LABELS: dict[str, str] = {
    # The order card's button (handlers.shipping_callbacks.ShipOrder).
    "shipping.start": N_("📦 Shipping document"),
    "shipping.line_button": N_("✏️ {position}. {name} × {quantity}"),
    "shipping.lines_done": N_("✅ Continue"),
    "shipping.keep_value": N_("✅ Keep {amount}"),
    "shipping.goods_on": N_("☑️ {name}"),
    "shipping.goods_off": N_("⬜ {name}"),
    "shipping.goods_done": N_("✅ Done"),
    "shipping.goods_battery_standalone": N_("Standalone lithium battery"),
    "shipping.goods_battery_in_equipment": N_("Battery inside equipment"),
    "shipping.goods_liquid_flammable": N_("Flammable liquid"),
    "shipping.goods_liquid_other": N_("Other liquid"),
    "shipping.goods_fragile": N_("Fragile"),
    "shipping.goods_high_value": N_("High value"),
    "shipping.warehouse_choice": N_("🏭 {name} ({city})"),
    # A method's name where no one lane is meant; on a lane, express is named by whether it
    # crosses a border (domain.logistics.method_name_key).
    "shipping.method_express": N_("Express"),
    "shipping.method_express_international": N_("International express"),
    "shipping.method_express_domestic": N_("Domestic express"),
    "shipping.method_sea": N_("Sea freight"),
    "shipping.method_land": N_("Land transport"),
    "shipping.method_choice": N_("✅ {name} · {cost}"),
    "shipping.method_refused_choice": N_("🚫 {name}"),
    "shipping.method_blocked_choice": N_("⛔ {name} · over budget"),
    "shipping.ack_tracking": N_("✅ Use this number anyway"),
    "shipping.ack_and_confirm": N_("⚠️ I understand — confirm"),
    "shipping.confirm": N_("✅ Confirm and get the document"),
    "logistics.rates_reset": N_("↩️ Use the example rates"),
    "logistics.use_sent_rate_card": N_("📑 Use it as my rate card"),
    # Command menu descriptions
    "command.ship": N_("Fill a shipping document"),
    "command.costs": N_("Logistics spend this month"),
    "command.budget": N_("Logistics budget"),
    "command.rates": N_("Your logistics rate card"),
    "command.fx": N_("Exchange rates you use"),
}
