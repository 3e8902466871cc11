"""The offer form's rules without Telegram: which steps apply to each resolution, amounts by
share or value capped at what was paid, warehouses only among those offered (the seller must
name one, the buyer may leave it to the store), and the suggested return address."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.drafts import OfferDraft
from domain.errors import InvalidInput
from domain.returns.addresses import ReturnAddress, ordered_addresses
from domain.returns.offers import OfferTerms, typed_amount
from domain.returns.rules import PostagePayer, Resolution, Side

SHENZHEN = ReturnAddress(1, "Shenzhen main", "CN", "Shenzhen", False)
LYON = ReturnAddress(2, "Lyon returns", "FR", "Lyon", True)
MADRID = ReturnAddress(3, "Madrid hub", "ES", "Madrid", True)


def draft(side: Side = Side.SELLER) -> OfferDraft:
    return OfferDraft(
        case_id=7,
        side=side,
        counter=False,
        currency="EUR",
        paid=Decimal("7.00"),
        addresses=(SHENZHEN, LYON),
        default_payer=PostagePayer.STORE,
        default_days=10,
    )


def test_an_overseas_buyer_is_offered_the_local_returns_warehouse_of_their_country() -> None:
    candidates = [SHENZHEN, MADRID, LYON]
    assert ordered_addresses(candidates, buyer_country="FR", home_country="CN")[0] == LYON
    # No local warehouse in the buyer's country: the home warehouses come first.
    assert ordered_addresses(candidates, buyer_country="DE", home_country="CN")[0] == SHENZHEN
    # A domestic buyer: home first, even if an overseas one handles local returns.
    assert ordered_addresses([LYON, SHENZHEN], buyer_country="CN", home_country="CN")[0] == SHENZHEN


def test_amounts_by_share_or_value_never_above_what_was_paid() -> None:
    assert typed_amount("30%", Decimal("7.00"), "EUR") == "2.10"
    assert typed_amount("12,50", Decimal("20.00"), "EUR") == "12.50"
    assert typed_amount("33%", Decimal("1000"), "JPY") == "330"
    partial = draft().with_resolution("refund_partial")
    assert partial.amount_applies and not partial.return_applies
    assert partial.with_amount("50%").amount == Decimal("3.50")
    with pytest.raises(InvalidInput) as above:
        partial.with_amount("7.01")
    assert above.value.key == "returns.amount_above_paid"
    with pytest.raises(InvalidInput) as everything:
        partial.with_amount("100%")  # a partial refund is less than everything
    assert everything.value.key == "returns.partial_below_paid"
    with pytest.raises(InvalidInput):
        partial.with_everything()


def test_a_full_refund_and_an_exchange_ask_no_amount() -> None:
    full = draft().with_resolution("refund_full")
    assert not full.amount_applies and full.amount == Decimal("7.00")
    assert full.terms() == OfferTerms(Resolution.REFUND_FULL, Decimal("7.00"))
    exchange = draft().with_resolution("exchange")
    assert not exchange.amount_applies and exchange.return_applies


def test_a_return_names_an_offered_warehouse_and_days() -> None:
    chosen = draft().with_resolution("return_and_refund").with_everything()
    with pytest.raises(InvalidInput):
        chosen.with_warehouse("99")  # not one of the seller's verified warehouses
    with pytest.raises(InvalidInput) as seller:
        chosen.without_warehouse()
    assert seller.value.key == "returns.warehouse_required"
    with pytest.raises(InvalidInput) as days:
        chosen.with_days("31")
    assert days.value.key == "returns.days_invalid"
    terms = chosen.with_payer("buyer").with_warehouse("2").with_days("14").terms()
    assert terms == OfferTerms(
        Resolution.RETURN_AND_REFUND, Decimal("7.00"), PostagePayer.BUYER, 2, 14
    )
    # The buyer may leave the warehouse to the store; the policy's defaults fill the rest.
    buyer = draft(Side.BUYER).with_resolution("exchange").without_warehouse()
    assert buyer.terms() == OfferTerms(Resolution.EXCHANGE, None, PostagePayer.STORE, None, 10)


def test_another_resolution_starts_its_answers_over_and_the_draft_survives_storage() -> None:
    entered = draft().with_resolution("return_and_refund").with_everything().with_warehouse("1")
    assert OfferDraft.from_data(entered.to_data()) == entered
    again = entered.with_resolution("refund_partial")
    assert again.amount is None and again.warehouse_id is None
    with pytest.raises(InvalidInput):
        draft().with_resolution("gift_card")
