"""The photos and videos of a return case: the card's button sends each one, captioned with
whose it is and when it came, to either side of the case; anyone else reads "not found"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.methods import SendPhoto, SendVideo

from domain.model.return_parts import ReturnEvidence
from domain.returns.rules import EvidenceKind, Side
from domain.services import returns
from handlers.return_callbacks import CaseAct, CaseButton
from tests.handlers.chat import Chat, HandlerBot
from tests.returns_fixtures import BoughtOrder, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store

SELLER, BUYER, STRANGER = 8961, 8962, 8963


@pytest.fixture
async def bought(handler_bot: HandlerBot) -> BoughtOrder:
    store = await Store(handler_bot.app.uow_factory, SELLER).open()
    return await shipped_to_buyer(handler_bot.app.uow_factory, store, "AE-EV1", BUYER, 34_000_101)


async def _add_evidence(
    bot: HandlerBot, case_id: int, side: Side, kind: EvidenceKind, file_id: str
) -> None:
    """Evidence as a side adds it when the case allows (the store's, on inspection)."""
    async with bot.uow() as uow:
        case = await returns.case_for(SELLER, case_id, Side.SELLER, uow)
        case.evidence.append(
            ReturnEvidence(
                side=side,
                kind=kind,
                telegram_file_id=file_id,
                file_unique_id=f"uniq-{file_id}",
                added_at=uow.now(),
            )
        )
        await uow.commit()


async def _seller_card(seller: Chat, case_id: int) -> None:
    await seller.send("/returns")
    await seller.press(f"R-{case_id}")


async def test_the_seller_sees_the_buyers_photos_from_the_card(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    case_id = await open_damaged(handler_bot.app.uow_factory, bought, photos=2)
    seller = Chat(handler_bot, SELLER)
    await _seller_card(seller, case_id)

    shown = await seller.press("2 photos and videos")

    assert [type(item) for item in shown.media] == [SendPhoto, SendPhoto]
    assert [item.photo for item in shown.media if isinstance(item, SendPhoto)] == [
        "photo-file-0",
        "photo-file-1",
    ]
    at = handler_bot.text(
        "returns.evidence_caption",
        case=f"R-{case_id}",
        side="buyer",
        number=1,
        total=2,
        at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
        time_zone="UTC",
    )
    assert shown.media[0].caption == at
    assert "from the buyer" in at and "1 of 2" in at


async def test_the_buyer_sees_the_stores_inspection_video_too(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    """The store's evidence (its inspection) goes to the buyer: each side sees both sides'."""
    case_id = await open_damaged(handler_bot.app.uow_factory, bought, photos=1)
    await _add_evidence(handler_bot, case_id, Side.SELLER, EvidenceKind.VIDEO, "video-file-9")
    buyer = Chat(handler_bot, BUYER)
    await buyer.send("/orders")
    await buyer.press("AE-EV1")
    await buyer.press(f"Return R-{case_id}")

    shown = await buyer.press("2 photos and videos")

    assert [type(item) for item in shown.media] == [SendPhoto, SendVideo]
    video = shown.media[1]
    assert isinstance(video, SendVideo) and video.video == "video-file-9"
    assert "from the store" in (video.caption or "")


async def test_a_stranger_pressing_a_forged_button_sees_nothing(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    case_id = await open_damaged(handler_bot.app.uow_factory, bought, photos=2)
    stranger = Chat(handler_bot, STRANGER)
    await stranger.send("/start")
    for side in (Side.SELLER, Side.BUYER):
        forged = CaseAct(action=CaseButton.EVIDENCE, case_id=case_id, side=side).pack()
        answer = await stranger.press_data(1, forged)
        assert answer.media == []
        assert handler_bot.plain("returns.case_not_found") in (answer.alert or "") + answer.text


async def test_a_case_without_evidence_has_no_button(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    case_id = await open_damaged(handler_bot.app.uow_factory, bought, photos=1)
    async with handler_bot.uow() as uow:
        case = await returns.case_for(SELLER, case_id, Side.SELLER, uow)
        case.evidence.clear()  # as a case whose reason needs none
        await uow.commit()
    seller = Chat(handler_bot, SELLER)
    await _seller_card(seller, case_id)
    assert not [label for label in seller.offered() if "photo" in label]
    forged = CaseAct(action=CaseButton.EVIDENCE, case_id=case_id, side=Side.SELLER).pack()
    answer = await seller.press_data(1, forged)
    assert answer.media == []
    assert answer.alert == handler_bot.plain("returns.no_evidence")
