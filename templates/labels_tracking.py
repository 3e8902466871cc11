"""Labels of tracking: parcel statuses, the buyer's card, the seller's shipments, the outbox."""

from __future__ import annotations

from templates.labels_base import N_

TRACKING_LABELS: dict[str, str] = {
    # The parcel's canonical status (17TRACK's set), as buyers and sellers read it.
    "tracking_status.NotFound": N_("🔎 No tracking information yet"),
    "tracking_status.InfoReceived": N_("📝 The carrier has the parcel's details"),
    "tracking_status.InTransit": N_("🚚 On its way"),
    "tracking_status.Expired": N_("⌛ Tracking ended without news"),
    "tracking_status.AvailableForPickup": N_("📮 Waiting at a pickup point"),
    "tracking_status.OutForDelivery": N_("🛵 Out for delivery"),
    "tracking_status.DeliveryFailure": N_("⚠️ Delivery attempt failed"),
    "tracking_status.Delivered": N_("📬 Delivered"),
    "tracking_status.Exception": N_("❗ The carrier reports a problem"),
    # Sub-statuses that say more than their main status.
    "tracking_sub.InTransit_CustomsProcessing": N_("🛃 At customs"),
    "tracking_sub.InTransit_CustomsRequiringInformation": N_("🛃 Customs need information"),
    "tracking_sub.InTransit_CustomsReleased": N_("✅ Cleared customs"),
    "tracking_sub.Exception_Returning": N_("↩️ Going back to the seller"),
    "tracking_sub.Exception_Returned": N_("↩️ Returned to the seller"),
    "tracking_sub.Exception_Lost": N_("❓ Reported lost"),
    # Orders whose parcel is in a state the seller must look at.
    "order_status.in_trouble": N_("❗ Parcel in trouble"),
    "order_status.lost": N_("❓ Parcel lost"),
    "order_status.returned_to_sender": N_("↩️ Returned to sender"),
    # The buyer's order card
    "buyer.timeline": N_("🗺 Whole journey"),
    "buyer.mute": N_("🔕 Mute this order"),
    "buyer.unmute": N_("🔔 Notify me again"),
    "buyer.help": N_("❓ Help"),
    "buyer.back_to_order": N_("⬅️ Back to the order"),
    "buyer.order_item": N_("{number} · {store}"),
    "buyer.my_purchases": N_("🛍 Orders I'm buying"),
    "buyer.time_zone_automatic": N_("🌍 From the delivery country"),
    # The seller's shipments
    "shipments.filter_moving": N_("🚚 On the way"),
    "shipments.filter_arriving": N_("🛵 Arriving"),
    "shipments.filter_problems": N_("⚠️ Problems"),
    "shipments.filter_delivered": N_("📬 Delivered"),
    "shipments.filter_current": N_("• {name} •"),
    "shipments.list_item": N_("{number} · {tracking}"),
    "shipments.open": N_("📦 Tracking"),
    "shipments.new_link": N_("🔗 New buyer link"),
    "shipments.back_to_list": N_("⬅️ All shipments"),
    # Operators: dead letters
    "outbox.retry_all": N_("🔁 Retry all of them"),
    # Command menu descriptions
    "command.track": N_("Follow your parcel, step by step"),
    "command.shipments": N_("Your shipments and their tracking"),
    "command.stop": N_("Stop all tracking messages"),
    "command.timezone": N_("My time zone, for quiet hours"),
}
