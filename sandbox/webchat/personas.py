"""The sandbox's pretend Telegram users: a seller, a buyer and an operator, one chat each.

The operator persona's id is added to the sandbox bot's ``OPERATOR_IDS`` (``sandbox_settings``),
so it reviews warehouses like a real operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BUYER", "OPERATOR", "PERSONAS", "SELLER", "Persona"]


@dataclass(frozen=True, slots=True)
class Persona:
    """A pretend Telegram user of the sandbox, with its own private chat with the bot."""

    key: str
    user_id: int
    first_name: str
    role: str
    icon: str
    language_code: str = "en"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "user_id": self.user_id,
            "name": self.first_name,
            "role": self.role,
            "icon": self.icon,
        }


SELLER = Persona("seller", 700_001, "Mei", "Seller", "🏪")
BUYER = Persona("buyer", 700_002, "Alex", "Buyer", "📦")
OPERATOR = Persona("operator", 700_003, "Olga", "Operator", "🛡")
PERSONAS: tuple[Persona, ...] = (SELLER, BUYER, OPERATOR)
