"""The shipped example card: every home country the store registration offers (and Vietnam,
which sellers type) has lanes, and the origins of cross-border sellers reach every zone."""

from __future__ import annotations

import pytest

from domain.countries import COMMON_SELLER_COUNTRIES
from domain.logistics import ShippingMethod, example_rate_card

# One country of each destination zone of the card, and one no zone lists (rest of the world).
DESTINATIONS = ("DE", "KZ", "US", "BR", "JP", "AE", "ZA")
HOME_COUNTRIES = sorted({*COMMON_SELLER_COUNTRIES, "VN"})


@pytest.mark.parametrize("home", HOME_COUNTRIES)
def test_every_offered_home_country_ships_at_home(home: str) -> None:
    lane = example_rate_card().lane_for(home, home)
    assert lane is not None, home
    assert ShippingMethod.EXPRESS in lane.methods


@pytest.mark.parametrize("origin", ["CN", "HK", "VN", "KR", "TR", "RU", "BR"])
def test_cross_border_origins_reach_every_zone(origin: str) -> None:
    card = example_rate_card()
    for destination in (d for d in DESTINATIONS if d != origin):  # at home: express and road
        lane = card.lane_for(origin, destination)
        assert lane is not None, (origin, destination)
        assert {ShippingMethod.EXPRESS, ShippingMethod.SEA} <= set(lane.methods)
