"""Button labels, keyed by what the button does. Translated through the gettext catalogs.

`N_` only marks a string for extraction; the Renderer translates it per locale.
"""

from __future__ import annotations


def N_(text: str) -> str:
    return text


LABELS: dict[str, str] = {
    "role.seller": N_("🏪 I sell on AliExpress"),
    "role.buyer": N_("📦 I'm a buyer"),
    "common.cancel": N_("✖️ Cancel"),
    "common.back": N_("⬅️ Back"),
    "common.confirm": N_("✅ Confirm"),
    "common.edit": N_("✏️ Edit"),
    "registration.confirm": N_("✅ Create my store"),
    "registration.edit_store_name": N_("✏️ Store name"),
    "registration.edit_country": N_("✏️ Country"),
    "registration.edit_language": N_("✏️ Language"),
    "registration.other_country": N_("🔎 Other country…"),
    "erasure.confirm": N_("🗑 Yes, delete my data"),
    "erasure.keep": N_("Keep my data"),
    # Command menu descriptions (setMyCommands): plain text, at most 256 characters.
    "command.start": N_("Start, or go to your store"),
    "command.help": N_("What I can do"),
    "command.cancel": N_("Leave the current conversation"),
    "command.language": N_("Change my language"),
    "command.privacy": N_("What I store about you"),
    "command.delete_my_data": N_("Erase your data"),
}
