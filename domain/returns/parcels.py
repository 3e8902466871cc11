"""The return parcel's news and the exchange's replacement order, as pure rules.

- `parcel_news`: what a move of the buyer's return parcel tells both sides of the case — that
  it is on its way, then that it was delivered back to the store's warehouse. Anything else a
  provider reports (no information yet, an exception) is not news to either side: the buyer
  follows their own parcel with their carrier.
- `replacement_number`: the number of the order that ships an exchange's replacement.
"""

from __future__ import annotations

from enum import StrEnum

from domain.tracking import TrackingStatus

_MOVING = frozenset(
    {
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.AVAILABLE_FOR_PICKUP,
        TrackingStatus.DELIVERY_FAILURE,
    }
)


class ParcelNews(StrEnum):
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"


def news_of(status: TrackingStatus | None) -> ParcelNews | None:
    if status is TrackingStatus.DELIVERED:
        return ParcelNews.DELIVERED
    if status in _MOVING:
        return ParcelNews.IN_TRANSIT
    return None


def parcel_news(before: TrackingStatus | None, after: TrackingStatus | None) -> ParcelNews | None:
    """The news a move from `before` to `after` is, if it is news (said once per stage: a
    parcel moving on between depots, or reported again, tells nothing new)."""
    news = news_of(after)
    if news is None or news is news_of(before):
        return None
    if news is ParcelNews.IN_TRANSIT and news_of(before) is ParcelNews.DELIVERED:
        return None  # an older report arriving late never takes the delivery back
    return news


def replacement_number(original: str, index: int, *, max_length: int) -> str:
    """The `index`-th replacement of order `original`: "<original>-X1" (-X2 for a second
    exchange of the same order); the original part is shortened when the suffix would not fit
    the column."""
    suffix = f"-X{index}"
    return original[: max_length - len(suffix)] + suffix
