"""Where returned goods may go: the seller's verified warehouses, in the order an offer form
shows them, with the one to suggest first.

An overseas buyer (the order ships to another country than the store's home) is best served by
a warehouse in their own country that handles local returns: the parcel stays domestic. When
there is none, the store's own warehouses come first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class ReturnAddress(NamedTuple):
    # A record rather than a dataclass: the offer form's draft keeps it as a short list.
    warehouse_id: int
    name: str
    country: str
    city: str
    local_returns: bool  # the warehouse takes local returns (an overseas warehouse's capability)


def ordered_addresses(
    candidates: Iterable[ReturnAddress], *, buyer_country: str, home_country: str
) -> tuple[ReturnAddress, ...]:
    """The warehouses, the suggested one first: for an overseas buyer the one handling local
    returns in their country, else one in the store's home country, else in the given order."""
    found = list(candidates)
    overseas = buyer_country.upper() != home_country.upper()

    def rank(address: ReturnAddress) -> int:
        if overseas and address.local_returns and address.country == buyer_country.upper():
            return 0
        return 1 if address.country == home_country.upper() else 2

    return tuple(sorted(found, key=rank))  # sorted() is stable: ties keep their order
