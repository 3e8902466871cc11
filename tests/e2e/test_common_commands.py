"""Commands every user has, and how the bot behaves when something goes wrong."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy import func, select

from domain.model import AuditEntry, ConversationState, Seller, TelegramUser
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import OPERATOR_ID, BotRunner, chat_with
from tests.e2e.test_warehouses import register_seller


async def test_help_is_per_role_and_menus_are_localized(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    guest = chat_with(emulator, 4001)
    await guest.send("/help")
    await guest.expect("register your AliExpress store")
    operator = chat_with(emulator, OPERATOR_ID)
    await operator.send("/help")
    await operator.expect("/review")
    seller = chat_with(emulator, 4002)
    await register_seller(seller, "Help Store")
    await seller.send("/help")
    await seller.expect("/warehouses")
    await seller.send("/start")
    await seller.expect("Welcome back to <b>Help Store</b>")
    await seller.press("Warehouses")
    await seller.expect("Your warehouses")

    english = {c["command"]: c["description"] for c in emulator.commands(language_code="")}
    chinese = {c["command"]: c["description"] for c in emulator.commands(language_code="zh")}
    assert (
        set(english)
        == set(chinese)
        >= {"start", "help", "cancel", "language", "privacy", "delete_my_data"}
    )
    assert english["help"] != chinese["help"]


async def test_language_privacy_and_unknown_deep_links(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    chat = chat_with(emulator, 4003, language="de")  # a language we do not speak: English
    await chat.send("/privacy")
    await chat.expect("What we store")
    await chat.send("/language")
    await chat.press("Español")
    await chat.expect("te hablaré en español.")
    await chat.send("/help")
    await chat.expect("Qué puedo hacer")
    # A malformed or unknown link is refused like a used one: nothing to learn from it.
    await chat.send("/start bad*payload!")
    await chat.expect("Pide al vendedor un enlace nuevo")  # tú, as every buyer text
    await chat.send("/start " + "A" * 64)
    await chat.expect("Este enlace ya no funciona")
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        user = await uow.session.get(TelegramUser, 4003)
        assert user is not None
        assert user.locale == "es"


async def test_delete_my_data_erases_the_seller(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    chat = chat_with(emulator, 4004)
    await register_seller(chat, "Short Lived Store")
    await chat.send("/delete_my_data")
    await chat.press("Keep my data")
    await chat.expect("Nothing was deleted")
    await chat.send("/delete_my_data")
    await chat.press("Yes, delete my data")
    await chat.expect("Your data has been deleted")
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Seller)) == 0
        assert await uow.session.get(TelegramUser, 4004) is None
        states = (
            select(func.count())
            .select_from(ConversationState)
            .where(ConversationState.user_id == 4004)
        )
        assert await uow.session.scalar(states) == 0
        actions = (await uow.session.execute(select(AuditEntry.action, AuditEntry.actor_id))).all()
        assert ("user.erased", None) in actions


async def test_unexpected_error_gets_an_apology_with_incident_id(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    await runner.stop()
    failing = Router(name="failing")

    @failing.message(Command("boom"))
    async def boom(message: Message) -> None:
        raise RuntimeError("secret internal detail")

    app = await runner.start_with(failing)
    chat = chat_with(emulator, 4005)
    await chat.send("/boom")
    apology = await chat.expect("something went wrong")
    assert "<code>" in apology.content
    assert "secret internal detail" not in apology.content
    assert "Traceback" not in apology.content
    # The bot is still fine afterwards.
    await chat.send("/help")
    await chat.expect("What I can do")
    assert app is runner.app


async def test_buyer_link_shows_the_order_and_unknown_links_are_refused(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    from datetime import timedelta

    from domain.services.orders import buyer_links, intake

    seller_chat = chat_with(emulator, 4006)
    await register_seller(seller_chat, "Link Store")
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        seller = await uow.sellers.by_telegram_user(4006)
        assert seller is not None
        order = await intake.create_order(
            intake.NewOrder(
                seller_id=seller.id,
                number="AE-77",
                ship_to_country="FR",
                ship_to_postcode="75001",
                currency="EUR",
                ship_by=uow.now() + timedelta(days=3),
                lines=[intake.NewOrderLine(product_name="Lamp", quantity=1, unit_price="20")],
            ),
            uow,
        )
        token = await buyer_links.issue_buyer_link(order, uow)
        await uow.commit()

    buyer = chat_with(emulator, 4007, language="fr", name="Claire")
    await buyer.send(f"/start {token}")
    shown = await buyer.expect("AE-77")
    assert "Link Store" in shown.content
    assert str(4006) not in shown.content  # the seller's Telegram identity is never shown
    await buyer.send("/start " + "x" * 40)
    await buyer.expect("Ce lien ne fonctionne plus")
