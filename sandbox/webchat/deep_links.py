"""Deep links to the sandbox bot: ``https://t.me/<bot>?start=<payload>`` opened in the web chat.

In Telegram, opening such a link starts the bot with the payload: the app sends
``/start <payload>`` for the person who tapped it. The sandbox plays the person the link is
meant for — a seller's buyer link is opened by the buyer persona — so a click on it in any chat
of the web chat becomes that ``/start`` from the buyer. Only links to this bot, with a payload
Telegram would accept (1-64 of ``A-Z a-z 0-9 _ -``), are opened; anything else is refused.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

__all__ = ["LINK_OPENER", "start_payload"]

# Who opens a start link clicked in the web chat: the buyer the seller sends it to.
LINK_OPENER = "buyer"

_TELEGRAM_HOSTS = frozenset({"t.me", "telegram.me", "www.t.me", "www.telegram.me"})
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


def start_payload(url: str, bot_username: str) -> str | None:
    """The ``start`` payload of a link to `bot_username`, or None for any other link."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or (parts.hostname or "") not in _TELEGRAM_HOSTS:
        return None
    if parts.path.strip("/").casefold() != bot_username.casefold():
        return None
    values = parse_qs(parts.query, keep_blank_values=True).get("start", [])
    if len(values) != 1 or _PAYLOAD.fullmatch(values[0]) is None:
        return None
    return values[0]
