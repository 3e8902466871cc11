"""File names are shown back to people (rate card labels, warehouse documents): what could
disguise them or the message around them is dropped when they are stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources

import pytest

from domain.errors import InvalidInput
from domain.model import DocumentKind
from domain.services import logistics_settings, warehouses
from domain.unit_of_work import UnitOfWork
from tests.reliability.test_shipping_service import make_seller, make_warehouse

UowFactory = Callable[[], UnitOfWork]
SELLER = 5301


def _card(label: str) -> bytes:
    """The shipped example card as a seller's own, with `label` (whatever its format)."""
    text = resources.files("domain.rate_cards").joinpath("example.json").read_text("utf-8")
    card = json.loads(text)
    card.update(label=label, example=False)
    return json.dumps(card).encode()


async def test_a_rate_card_named_after_a_disguised_file_keeps_a_plain_label(
    uow_factory: UowFactory,
) -> None:
    await make_seller(uow_factory, SELLER)
    async with uow_factory() as uow:
        card = await logistics_settings.store_rate_card(
            SELLER,
            "rates\u202enosj.json",
            logistics_settings.read_rate_card_file("x.json", _card("")),
            uow,
        )
        await uow.commit()
    assert card.label == "ratesnosj.json"
    async with uow_factory() as uow:
        profile = await logistics_settings.current_profile(SELLER, uow)
    assert profile.rate_card.label == "ratesnosj.json"


async def test_a_rate_cards_own_label_with_direction_controls_is_refused(
    uow_factory: UowFactory,
) -> None:
    """The seller wrote the label: it is refused with the reason, not silently rewritten."""
    await make_seller(uow_factory, SELLER)
    with pytest.raises(InvalidInput) as refused:
        logistics_settings.read_rate_card_file("rates.json", _card("Sea \u2067rates\u2069 2026 🚢"))
    assert refused.value.key == "rates.invalid"
    card_data = logistics_settings.read_rate_card_file("rates.json", _card("Sea rates 2026 🚢"))
    async with uow_factory() as uow:
        card = await logistics_settings.store_rate_card(SELLER, "rates.json", card_data, uow)
        await uow.commit()
    assert card.label == "Sea rates 2026 🚢"


async def test_a_warehouse_document_keeps_a_plain_file_name(uow_factory: UowFactory) -> None:
    await make_seller(uow_factory, SELLER)
    warehouse_id = await make_warehouse(uow_factory, SELLER, approve=False)
    upload = warehouses.UploadedDocument(
        kind=DocumentKind.BUSINESS_LICENCE,
        telegram_file_id="file-1",
        file_unique_id="unique-1",
        file_name="licence\u202efdp.pdf",
        mime_type="application/pdf",
        size=100,
    )
    async with uow_factory() as uow:
        warehouse = await warehouses.owned_warehouse(SELLER, warehouse_id, uow)
        warehouse.request_documents(900_001, "Please add the lease", datetime.now(UTC))
        await warehouses.add_document(SELLER, warehouse_id, upload, uow)
        await uow.commit()
    async with uow_factory() as uow:
        warehouse = await warehouses.owned_warehouse(SELLER, warehouse_id, uow)
        assert [d.file_name for d in warehouse.documents][-1] == "licencefdp.pdf"
