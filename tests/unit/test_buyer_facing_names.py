"""Store names and order numbers as a buyer reads them outside a return case: a name stored
before names that read as contacts were refused is masked the way a case masks it, an ordinary
one is untouched; the buyer's tracking news is built with them (a message held through the
night takes them too)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from domain.model import BuyerSubscription, Order, Shipment
from domain.repositories import SellerContact
from domain.returns.masking import MASK, order_number_for_buyer, store_name_for_buyer
from domain.services import tracking_notices
from domain.tracking import BuyerNotice, NoticeKind, QuietHours, SubStatus, TrackingEvent

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("paypal.me/quokkashop", MASK),
        ("@quokkashop", MASK),
        ("Quokka +1 415 555 2671", f"Quokka {MASK}"),
        ("Quokka 138 0013 8000", f"Quokka {MASK}"),
        ("quokka.shop", MASK),
        ("Quokka Lane Goods", "Quokka Lane Goods"),
        ("Dr.Phone", "Dr.Phone"),
        ("深圳小店", "深圳小店"),
    ],
)
def test_a_store_name_that_reads_as_a_contact_is_masked(stored: str, shown: str) -> None:
    assert store_name_for_buyer(stored) == shown


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("paypal.me/evilshop", MASK),
        ("@quokka_orders", MASK),
        ("8123456789012345", "8123456789012345"),
        ("AE-2001", "AE-2001"),
        ("2024/11/0042", "2024/11/0042"),
    ],
)
def test_an_order_number_is_masked_only_for_contacts(stored: str, shown: str) -> None:
    # Long digit runs are what order numbers are made of: never read as phone numbers.
    assert order_number_for_buyer(stored) == shown


def _buyer_message(
    batch: tracking_notices.OutboxBatch, number: str, store: str, sub: SubStatus
) -> None:
    order = Order(id=7, number=number, ship_to_country="FR")
    shipment = cast(Any, Shipment(id=3))
    subscription = BuyerSubscription(order_id=7, buyer_user_id=42, muted=False, time_zone=None)
    event = TrackingEvent(NOON, sub.status, sub, "scan", "Paris")
    batch.buyer_message(
        shipment=shipment,
        order=order,
        subscription=subscription,
        seller=SellerContact(seller_id=1, user_id=5, store_name=store, home_country="CN"),
        notices=[BuyerNotice(NoticeKind.IN_TRANSIT, event)],
        estimate=None,
        quiet_hours=QuietHours(),
    )


def test_the_buyers_tracking_news_carry_the_masked_names() -> None:
    batch = tracking_notices.OutboxBatch(NOON)
    _buyer_message(batch, "@quokka_orders", "paypal.me/quokkashop", SubStatus.IN_TRANSIT_OTHER)
    (row,) = batch._rows
    assert row["chat_id"] == 42
    assert (row["params"]["order_number"], row["params"]["store_name"]) == (MASK, MASK)


def test_a_message_held_from_before_takes_the_masked_names_when_merged() -> None:
    batch = tracking_notices.OutboxBatch(NOON)
    _buyer_message(batch, "@quokka_orders", "paypal.me/quokkashop", SubStatus.IN_TRANSIT_OTHER)
    waiting = {
        **batch._rows[0]["params"],
        "order_number": "@quokka_orders",
        "store_name": "paypal.me/quokkashop",
    }
    merged = tracking_notices._merged(waiting, batch._rows[0]["params"])
    assert (merged["order_number"], merged["store_name"]) == (MASK, MASK)
