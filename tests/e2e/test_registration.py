"""A new user registers as a seller, through Telegram updates, in English and in Chinese."""

from __future__ import annotations

from sqlalchemy import func, select

from domain.model import AuditEntry, ConversationState, Seller
from tests.e2e.conftest import BotRunner, chat_with


async def _seller(runner: BotRunner, user_id: int) -> Seller | None:
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        seller = await uow.sellers.by_telegram_user(user_id)
        if seller is not None:
            uow.session.expunge(seller)  # keep its loaded values after the session closes
        return seller


async def test_seller_registers_in_english(emulator, runner: BotRunner) -> None:
    chat = chat_with(emulator, 1001, "en")
    await chat.send("/start")
    await chat.expect("Who are you?")
    await chat.press("I sell on AliExpress")
    await chat.expect("What is your store called")
    await chat.send("Shenzhen <Gadgets> & Co")
    await chat.expect("Which country is your business based in?")
    await chat.press("China")
    await chat.expect("Which language should I use")
    await chat.press("English")
    summary = await chat.expect("Please check your store details")
    assert "Shenzhen &lt;Gadgets&gt; &amp; Co" in summary.content
    assert "China" in summary.content
    await chat.press("Create my store")
    await chat.expect("is registered")

    seller = await _seller(runner, 1001)
    assert seller is not None
    assert (seller.store_name, seller.home_country, seller.locale) == (
        "Shenzhen <Gadgets> & Co",
        "CN",
        "en",
    )
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        entries = await uow.audit.entries_for("seller", seller.id)
        assert [entry.action for entry in entries] == ["seller.registered"]
        state = await uow.session.scalar(
            select(ConversationState.state).where(ConversationState.user_id == 1001)
        )
        assert state is None


async def test_seller_registers_in_chinese_with_typed_country(emulator, runner: BotRunner) -> None:
    chat = chat_with(emulator, 1002, "zh-hans", name="王")
    await chat.send("/start")
    await chat.expect("AliExpress")
    await chat.press("AliExpress")  # the role button, whatever its translation
    await chat.expect("/cancel")
    await chat.send("深圳好货")
    await chat.expect("ISO")
    await chat.send("hk")
    await chat.expect("哪种语言")  # the language step, in Chinese
    await chat.press("中文")  # languages are listed in their own words
    summary = await chat.expect("深圳好货")
    assert "香港" in summary.content  # the country is named in Chinese
    await chat.press("✅")
    await chat.expect("深圳好货")

    seller = await _seller(runner, 1002)
    assert seller is not None
    assert (seller.store_name, seller.home_country, seller.locale) == ("深圳好货", "HK", "zh_Hans")


async def test_cancel_mid_registration_leaves_no_seller(emulator, runner: BotRunner) -> None:
    chat = chat_with(emulator, 1003)
    await chat.send("/start")
    await chat.press("I sell on AliExpress")
    await chat.send("Half Done Store")
    await chat.expect("Which country")
    await chat.send("/cancel")
    await chat.expect("Cancelled")
    assert await _seller(runner, 1003) is None
    # The conversation is over: typing now is not taken as a country.
    await chat.send("China")
    await chat.expect("didn't understand")
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Seller)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


async def test_registration_resumes_after_restart(emulator, runner: BotRunner) -> None:
    chat = chat_with(emulator, 1004)
    await chat.send("/start")
    await chat.press("I sell on AliExpress")
    await chat.send("Restart Proof Store")
    await chat.expect("Which country")

    await runner.restart()

    await chat.send("Germany")
    await chat.expect("Which language")
    await chat.press("English")
    await chat.expect("Restart Proof Store")
    await chat.press("Create my store")
    await chat.expect("is registered")
    seller = await _seller(runner, 1004)
    assert seller is not None and seller.home_country == "DE"


async def test_invalid_answers_get_clear_messages(emulator, runner: BotRunner) -> None:
    chat = chat_with(emulator, 1005)
    await chat.send("/start")
    await chat.press("I sell on AliExpress")
    await chat.send("x")
    await chat.expect("must be 2 to 64 characters")
    await chat.send("Valid Store")
    await chat.send("Atlantis")
    await chat.expect("couldn't find a country called “Atlantis”")
    await chat.send("korea")
    await chat.expect("Several countries match")
    await chat.press("South Korea")
    await chat.expect("Which language")
    await chat.send("English please")
    await chat.expect("Please use the buttons")


async def test_store_names_as_people_type_them(emulator, runner: BotRunner) -> None:
    """Emoji with joiners and Arabic with direction marks are kept; a direction override,
    which could disguise the name, and an invisible-only name are refused with a reason."""
    chat = chat_with(emulator, 1006)
    await chat.send("/start")
    await chat.press("I sell on AliExpress")
    await chat.expect("What is your store called")
    await chat.send("Shop \u202egpj.exe")
    await chat.expect("hidden characters")
    await chat.send("\u200d\ufe0f \u200f")
    await chat.expect("must be 2 to 64 characters")
    await chat.send("👩\u200d💻 Shop ❤️")
    await chat.expect("Which country is your business based in?")
    await chat.press("China")
    await chat.press("English")
    await chat.press("Create my store")
    await chat.expect("is registered")
    seller = await _seller(runner, 1006)
    assert seller is not None and seller.store_name == "👩\u200d💻 Shop ❤️"

    arabic = chat_with(emulator, 1007, "ar")
    await arabic.send("/start")
    await arabic.press("AliExpress")
    await arabic.expect("/cancel")
    await arabic.send("متجر النور\u200f 24")
    await arabic.expect("ISO")
    seller_name = "متجر النور\u200f 24"
    await arabic.send("EG")
    await arabic.press("English")
    summary = await arabic.expect("Please check your store details")
    assert seller_name in summary.content
