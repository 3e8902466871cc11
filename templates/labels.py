"""Button labels, keyed by what the button does. Translated through the gettext catalogs.

`N_` only marks a string for extraction (`NP_` a counted one, with its plural); the Renderer
translates it per locale.
"""

from __future__ import annotations

from templates.labels_base import N_, Plural
from templates.labels_orders import ORDER_LABELS
from templates.labels_returns import RETURN_LABELS
from templates.labels_shipping import SHIPPING_LABELS
from templates.labels_tracking import TRACKING_LABELS

LABELS: dict[str, str | Plural] = {
    "role.seller": N_("🏪 I sell on AliExpress"),
    "role.buyer": N_("📦 I'm a buyer"),
    "common.cancel": N_("✖️ Cancel"),
    "common.back": N_("⬅️ Back"),
    "common.edit": N_("✏️ Edit"),
    "registration.confirm": N_("✅ Create my store"),
    "registration.edit_store_name": N_("✏️ Store name"),
    "registration.edit_country": N_("✏️ Country"),
    "registration.edit_language": N_("✏️ Language"),
    "erasure.confirm": N_("🗑 Yes, delete my data"),
    "erasure.keep": N_("Keep my data"),
    "menu.orders": N_("📋 Orders"),
    "menu.warehouses": N_("🏭 Warehouses"),
    "common.previous": N_("◀️ Previous"),
    "common.next": N_("Next ▶️"),
    # Warehouses
    "warehouse.kind_domestic": N_("🏠 Domestic warehouse"),
    "warehouse.kind_overseas": N_("🌐 Overseas warehouse"),
    "warehouse.skip": N_("⏭ Skip"),
    "warehouse.keep_answer": N_("✅ Keep {answer}"),
    "warehouse.leave_empty": N_("🚫 Leave it empty"),
    "warehouse.capability_on": N_("☑️ {name}"),
    "warehouse.capability_off": N_("⬜ {name}"),
    "warehouse.capabilities_done": N_("✅ Done"),
    "warehouse.documents_done": N_("✅ Continue"),
    "warehouse.submit": N_("📨 Submit for review"),
    "warehouse.edit_kind": N_("✏️ Kind"),
    "warehouse.edit_name": N_("✏️ Name"),
    "warehouse.edit_country": N_("✏️ Country"),
    "warehouse.edit_address": N_("✏️ Address"),
    "warehouse.edit_contact": N_("✏️ Contact"),
    "warehouse.edit_capabilities": N_("✏️ Capabilities"),
    "warehouse.edit_documents": N_("✏️ Documents"),
    "warehouse.list_item": N_("🏭 {name} · {status}"),
    "warehouse.add": N_("➕ Add a warehouse"),
    "warehouse.add_documents": N_("📎 Add documents"),
    "warehouse.archive": N_("🗄 Archive"),
    "warehouse.archive_confirm": N_("🗄 Yes, archive it"),
    "warehouse.back_to_list": N_("⬅️ All warehouses"),
    "warehouse.back_to_card": N_("⬅️ Back"),
    "warehouse.open": N_("🏭 Open the warehouse"),
    "warehouse.save_and_review": N_("💾 Save and send to review"),
    "warehouse.resubmit": N_("📨 Send for review again"),
    "warehouse.send_later": N_("⏸ Send later"),
    "capability.sorting": N_("Sorting"),
    "capability.packing": N_("Packing"),
    "capability.shipping": N_("Shipping"),
    "capability.local_returns": N_("Handles local returns"),
    "document.business_licence": N_("Business licence"),
    "document.lease": N_("Lease agreement"),
    "document.ownership": N_("Proof of ownership"),
    "document.third_party_agreement": N_("Third-party warehouse agreement"),
    "document.customs_vat": N_("Customs/VAT registration"),
    "document.premises": N_("Lease, ownership or third-party warehouse agreement"),
    "document.other": N_("Other document"),
    "status.draft": N_("📝 Draft"),
    "status.pending_review": N_("⏳ Pending review"),
    "status.verified": N_("✅ Verified"),
    "status.rejected": N_("❌ Rejected"),
    "status.needs_documents": N_("📎 Needs documents"),
    "status.suspended": N_("⛔ Suspended"),
    "status.archived": N_("🗄 Archived"),
    "field.name": N_("Name"),
    "field.street": N_("Street address"),
    "field.city": N_("City"),
    "field.region": N_("Region"),
    "field.postcode": N_("Postcode"),
    "field.contact_name": N_("Contact name"),
    "field.contact_phone": N_("Contact phone"),
    # Operator review
    "review.item": N_("#{id} {name} ({country})"),
    "review.show_queue": N_("⏳ Review queue"),
    "review.show_verified": N_("✅ Verified warehouses"),
    "review.approve": N_("✅ Approve"),
    "review.reject": N_("❌ Reject"),
    "review.docs": N_("📎 Ask for documents"),
    "review.suspend": N_("⛔ Suspend"),
    # The printable shipping document (PDF)
    "pdf.title": N_("Shipping document"),
    "pdf.order": N_("Order"),
    "pdf.store": N_("Store"),
    "pdf.ship_to": N_("Ship to"),
    "pdf.issued": N_("Issued"),
    "pdf.declared_value": N_("Declared value"),
    "pdf.method": N_("Logistics method"),
    "pdf.carrier": N_("Carrier"),
    "pdf.tracking": N_("Tracking number"),
    "pdf.weight": N_("Weight and size"),
    "pdf.chargeable": N_("Chargeable weight"),
    "pdf.cost": N_("Estimated logistics cost"),
    "pdf.warehouse": N_("Ships from"),
    "pdf.partial": N_("Partial shipment"),
    "pdf.lines": N_("Goods"),
    "pdf.product": N_("Product"),
    "pdf.sku": N_("SKU"),
    "pdf.quantity": N_("Qty"),
    "pdf.unit_price": N_("Unit price"),
    # The parcel's measures on the document, numbers in the locale's format.
    "pdf.parcel": N_("{weight} kg · {length}×{width}×{height} cm"),
    "pdf.weight_kg": N_("{weight} kg"),
    # Command menu descriptions (setMyCommands): plain text, at most 256 characters.
    "command.start": N_("Start, or go to your store"),
    "command.help": N_("What I can do"),
    "command.cancel": N_("Leave the current conversation"),
    "command.language": N_("Change my language"),
    "command.privacy": N_("What I store about you"),
    "command.delete_my_data": N_("Erase your data"),
    "command.warehouses": N_("Your warehouses"),
    "command.review": N_("Review warehouse submissions"),
}

LABELS.update(ORDER_LABELS)
LABELS.update(RETURN_LABELS)
LABELS.update(SHIPPING_LABELS)
LABELS.update(TRACKING_LABELS)
