"""Labels of return cases: statuses, reasons, resolutions, who pays postage, and the buttons of
each action (`domain.returns.rules`)."""

from __future__ import annotations

from templates.labels_base import N_, Plural

RETURN_LABELS: dict[str, str | Plural] = {
    "return_status.requested": N_("🆕 Requested"),
    "return_status.negotiating": N_("💬 Negotiating"),
    "return_status.agreed": N_("🤝 Agreed"),
    "return_status.awaiting_return_shipment": N_("📦 Waiting for the return parcel"),
    "return_status.return_in_transit": N_("🚚 Return on its way"),
    "return_status.received": N_("📬 Return received"),
    "return_status.resolved": N_("✅ Resolved"),
    "return_status.declined": N_("✖️ Declined"),
    "return_status.withdrawn": N_("↩️ Withdrawn"),
    "return_status.expired": N_("⌛ Expired"),
    "return_status.escalated": N_("⚖️ Escalated to the platform"),
    "return_reason.not_as_described": N_("Not as described"),
    "return_reason.damaged": N_("Damaged in transit"),
    "return_reason.wrong_item": N_("Wrong item"),
    "return_reason.missing_parts": N_("Missing parts"),
    "return_reason.quality_problem": N_("Quality problem"),
    "return_reason.changed_mind": N_("Changed my mind"),
    "return_reason.other": N_("Other"),
    "return_resolution.refund_full": N_("Full refund"),
    "return_resolution.refund_partial": N_("Partial refund"),
    "return_resolution.return_and_refund": N_("Return and refund"),
    "return_resolution.exchange": N_("Exchange"),
    "return_resolution.keep_partial_refund": N_("Keep it, partial refund"),
    "return_postage.store": N_("The store pays return postage"),
    "return_postage.buyer": N_("The buyer pays return postage"),
    "return_action.propose_offer": N_("📝 Make an offer"),
    "return_action.counter_offer": N_("🔁 Counter-offer"),
    "return_action.accept_offer": N_("✅ Accept"),
    "return_action.decline_offer": N_("✖️ Decline the offer"),
    "return_action.decline_case": N_("🚫 Refuse the return"),
    "return_action.withdraw": N_("↩️ Withdraw my request"),
    "return_action.escalate": N_("⚖️ Open a platform dispute"),
    "return_action.record_return_tracking": N_("🚚 Enter the tracking number"),
    "return_action.confirm_receipt": N_("📬 Confirm receipt"),
    "return_action.record_refund": N_("💶 Record the refund"),
    "return_action.resolve": N_("✅ Mark resolved"),
    "return_action.add_evidence": N_("📷 Add photos"),
    "return_action.post_message": N_("💬 Write a message"),
}
