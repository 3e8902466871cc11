"""The seller's return-policy editor through the dispatcher: the card (from /returnpolicy and
from /returns), each change saved at once and audited — the window, a category added (name,
then SKU prefixes) and removed, a reason's postage payer switched, the defaults back — with a
refused answer at each typed step; Cancel and /cancel; a half-typed category across a restart;
a buyer or a stranger refused; forged presses refused without a change."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.returns.policy import ReturnPolicy
from domain.returns.rules import PostagePayer, ReturnReason
from domain.services import return_policies, returns
from tests.handlers.chat import Chat, HandlerBot
from tests.tracking_fixtures import Store

SELLER, BUYER = 8701, 8702


@pytest.fixture
async def store(handler_bot: HandlerBot) -> Store:
    return await Store(handler_bot.app.uow_factory, SELLER).open()


async def _policy(bot: HandlerBot, store: Store) -> ReturnPolicy:
    async with bot.uow() as uow:
        return await returns.policy_of(store.seller_id, uow)


async def _saved_count(bot: HandlerBot, store: Store) -> int:
    async with bot.uow() as uow:
        entries = await uow.audit.entries_for("seller", store.seller_id)
        return sum(1 for entry in entries if entry.action == "return_policy.saved")


def _payer_label(bot: HandlerBot, reason: ReturnReason, payer: PostagePayer) -> str:
    return bot.label(
        "return_policy.switch_payer",
        reason=bot.label(f"return_reason.{reason.value}"),
        payer=bot.label(f"return_policy.payer_{payer.value}"),
    )


async def test_every_change_is_saved_and_the_card_shown_again(
    handler_bot: HandlerBot, store: Store, chat_of: Callable[..., Chat]
) -> None:
    seller = chat_of(SELLER)
    card = await seller.send("/returnpolicy")
    card.assert_says("Your return policy", "Return window: <b>15 days</b>", "can be returned")
    assert _payer_label(handler_bot, ReturnReason.CHANGED_MIND, PostagePayer.BUYER) in card.labels
    assert _payer_label(handler_bot, ReturnReason.DAMAGED, PostagePayer.STORE) in card.labels

    # The window: anything but a whole number of days from 1 to 365 is refused, and asked again.
    asked = await seller.press("Change the return window")
    asked.assert_says("How many days after delivery")
    for wrong in ("0", "366", "ten", "-3", "2.5"):
        refused = await seller.send(wrong)
        assert refused.texts == [handler_bot.text("returns.window_invalid", max=365)], wrong
        await seller.assert_still_asks(asked.last)
    saved = await seller.send("3")
    saved.assert_says("✅ Saved", "Return window: <b>3 days</b>")
    assert (await _policy(handler_bot, store)).window_days == 3
    assert await _saved_count(handler_bot, store) == 1

    # A category: its name, then its SKU prefixes; each refused answer keeps the step.
    asked = await seller.press("Add a category not taken back")
    asked.assert_says("Name the category")
    too_long = await seller.send("S" * 65)
    assert too_long.texts == [handler_bot.text("returns.category_name_invalid", min=1, max=64)]
    await seller.assert_still_asks(asked.last)
    prefixes = await seller.send("Swim<wear>")
    prefixes.assert_says("Which SKUs are <b>Swim&lt;wear&gt;</b>?")
    for wrong in (" , ; ", "X" * 33, " ".join(f"P{i}" for i in range(21))):
        refused = await seller.send(wrong)
        assert refused.texts == [handler_bot.text("returns.sku_prefix_invalid", max=32)], wrong
        await seller.assert_still_asks(prefixes.last)
    saved = await seller.send("SW-, bikini;SW-  <b>")
    saved.assert_says(
        "✅ Saved",
        "<b>Swim&lt;wear&gt;</b>: <code>SW-</code>, <code>bikini</code>, <code>&lt;b&gt;</code>",
    )
    policy = await _policy(handler_bot, store)
    assert [(c.name, c.sku_prefixes) for c in policy.non_returnable] == [
        ("Swim<wear>", ("SW-", "bikini", "<b>"))
    ]
    # The same name again is refused at the name.
    await seller.press("Add a category not taken back")
    again = await seller.send("swim<WEAR>")
    assert again.texts == [handler_bot.text("returns.category_exists", name="swim<WEAR>")]
    await seller.press("Back")

    # Who pays: a press switches the reason's payer.
    switched = await seller.press(
        _payer_label(handler_bot, ReturnReason.CHANGED_MIND, PostagePayer.BUYER)
    )
    assert _payer_label(handler_bot, ReturnReason.CHANGED_MIND, PostagePayer.STORE) in (
        switched.labels
    )
    policy = await _policy(handler_bot, store)
    assert policy.postage_payer(ReturnReason.CHANGED_MIND) is PostagePayer.STORE
    assert policy.postage_payer(ReturnReason.DAMAGED) is PostagePayer.STORE

    # Removing the category, then the defaults back (asked to confirm first).
    removed = await seller.press("Remove Swim<wear>")
    removed.assert_says("Every category can be returned.")
    assert (await _policy(handler_bot, store)).non_returnable == ()
    confirm = await seller.press("Defaults")
    confirm.assert_says("Back to the defaults: 15 days")
    assert (await _policy(handler_bot, store)).window_days == 3
    reset = await seller.press("Yes, back to the defaults")
    reset.assert_says("✅ Saved", "Return window: <b>15 days</b>")
    assert (await _policy(handler_bot, store)) == ReturnPolicy()
    assert await _saved_count(handler_bot, store) == 5

    done = await seller.press("Done")
    assert done.texts == [handler_bot.text("return_policy.closed")]
    assert (await seller.send("/cancel")).texts == [handler_bot.text("cancel.nothing")]


async def test_the_returns_list_opens_the_card_and_the_card_takes_only_buttons(
    handler_bot: HandlerBot, store: Store, chat_of: Callable[..., Chat]
) -> None:
    seller = chat_of(SELLER)
    await seller.send("/returns")
    card = await seller.press("Return policy")
    card.assert_says("Your return policy")
    await seller.assert_typing_is_refused(card.last)


async def test_cancel_and_back_leave_the_policy_as_it_was(
    handler_bot: HandlerBot, store: Store, chat_of: Callable[..., Chat]
) -> None:
    seller = chat_of(SELLER)
    await seller.send("/returnpolicy")
    await seller.press("Add a category not taken back")
    await seller.send("Swimwear")
    cancelled = await seller.send("/cancel")
    assert cancelled.texts == [handler_bot.text("cancel.done")]
    assert (await seller.send("SW-")).texts == [handler_bot.text("common.not_understood")]

    await seller.send("/returnpolicy")
    await seller.press("Change the return window")
    back = await seller.press("Back")
    back.assert_says("Your return policy")
    assert "✅ Saved" not in back.text
    await seller.press("Change the return window")
    cancelled = await seller.press("Cancel")
    assert cancelled.texts == [handler_bot.text("cancel.done")]
    assert await _policy(handler_bot, store) == ReturnPolicy()
    assert await _saved_count(handler_bot, store) == 0


async def test_a_category_half_typed_survives_a_restart(
    handler_bot: HandlerBot, store: Store
) -> None:
    seller = Chat(handler_bot, SELLER)
    await seller.send("/returnpolicy")
    await seller.press("Add a category not taken back")
    asked = await seller.send("Swimwear")

    await handler_bot.restart()
    await seller.assert_still_asks(asked.last)
    await handler_bot.restart()
    saved = await seller.send("SW-")
    saved.assert_says("✅ Saved", "<b>Swimwear</b>: <code>SW-</code>")
    policy = await _policy(handler_bot, store)
    assert [c.name for c in policy.non_returnable] == ["Swimwear"]


async def test_a_buyer_or_a_stranger_is_not_a_seller(
    handler_bot: HandlerBot, store: Store, chat_of: Callable[..., Chat]
) -> None:
    not_a_seller = handler_bot.text("warehouse.seller_required")
    for user_id in (BUYER, 8799):
        chat = chat_of(user_id)
        assert (await chat.send("/returnpolicy")).texts == [not_a_seller]
        opened = await chat.press_data(1, "rpl:open:")
        assert opened.alert == handler_bot.plain("warehouse.seller_required")
        assert opened.messages == []
        # A card's button outside the editor is a stale button, whoever presses it.
        forged = await chat.press_data(1, "rpl:pay:changed_mind")
        assert forged.alert == handler_bot.plain("errors.stale_button")
    assert await _policy(handler_bot, store) == ReturnPolicy()


async def test_forged_presses_change_nothing(
    handler_bot: HandlerBot, store: Store, chat_of: Callable[..., Chat]
) -> None:
    async with handler_bot.uow() as uow:
        await return_policies.change(SELLER, lambda policy: policy.with_window("20"), uow)
        await uow.commit()
    before = await _policy(handler_bot, store)
    seller = chat_of(SELLER)
    card = await seller.send("/returnpolicy")
    message_id = card.last.message_id
    stale = handler_bot.plain("errors.stale_button_in_conversation", conversation="return_policy")
    cases = {
        "rpl:pay:refund_everything": handler_bot.plain("errors.invalid_choice"),
        "rpl:pay:": handler_bot.plain("errors.invalid_choice"),
        "rpl:del:0123456789": handler_bot.plain("returns.category_gone"),
        # Too long to be a key or a reason, an unknown action, an unknown form: never unpacked.
        f"rpl:del:{'a' * 25}": stale,
        "rpl:wipe:": stale,
        "rpl:pay:changed_mind:extra": stale,
    }
    for data, alert in cases.items():
        forged = await seller.press_forged(message_id, data)
        assert forged.alert == alert, data
        assert forged.messages == [], data
    assert await _policy(handler_bot, store) == before
    assert await _saved_count(handler_bot, store) == 1
    # The card still works afterwards.
    switched = await seller.press_forged(message_id, "rpl:pay:damaged")
    switched.assert_says("✅ Saved")
    assert (await _policy(handler_bot, store)).postage_payer(ReturnReason.DAMAGED) is (
        PostagePayer.BUYER
    )
