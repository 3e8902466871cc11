"""Seller registration: store name -> home country -> language -> summary -> create.

Each step is an FSM state kept in the database, so a restart resumes at the same step.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, User

from domain.countries import COMMON_SELLER_COUNTRIES, is_country_code
from domain.errors import InvalidInput
from domain.services import sellers
from domain.unit_of_work import UnitOfWork
from handlers.callbacks import (
    ChosenRole,
    CountryChoice,
    LanguageChoice,
    LanguagePurpose,
    RegistrationAction,
    RegistrationStep,
    RoleChoice,
)
from handlers.keyboards import country_buttons, country_from_text, language_keyboard
from handlers.responder import Button, Keyboard, Responder


class SellerRegistration(StatesGroup):
    store_name = State()
    country = State()
    language = State()
    summary = State()


STEP_ORDER = [
    SellerRegistration.store_name,
    SellerRegistration.country,
    SellerRegistration.language,
    SellerRegistration.summary,
]

NAVIGATION = [
    Button(label="common.back", callback=RegistrationAction(step=RegistrationStep.BACK)),
    Button(label="common.cancel", callback=RegistrationAction(step=RegistrationStep.CANCEL)),
]


def _prompt(step: State, data: dict[str, Any], responder: Responder) -> None:
    """Ask for what `step` needs, showing what was entered before if anything."""
    first_step = step == SellerRegistration.store_name
    navigation: Keyboard = [NAVIGATION[1:]] if first_step else [NAVIGATION]
    if step == SellerRegistration.store_name:
        responder.reply(
            "registration.ask_store_name", current=data.get("store_name"), keyboard=navigation
        )
    elif step == SellerRegistration.country:
        countries = country_buttons(responder.renderer, responder.locale, COMMON_SELLER_COUNTRIES)
        responder.reply("registration.ask_country", keyboard=[*countries, *navigation])
    elif step == SellerRegistration.language:
        keyboard = language_keyboard(responder.renderer, LanguagePurpose.REGISTRATION)
        responder.reply("registration.ask_language", keyboard=[*keyboard, *navigation])
    else:
        responder.reply(
            "registration.summary",
            store_name=data["store_name"],
            country=data["country"],
            language=responder.renderer.language_name(data["locale"]),
            keyboard=[
                [
                    Button(
                        label="registration.confirm",
                        callback=RegistrationAction(step=RegistrationStep.CONFIRM),
                    )
                ],
                [
                    Button(
                        label="registration.edit_store_name",
                        callback=RegistrationAction(step=RegistrationStep.EDIT_NAME),
                    ),
                    Button(
                        label="registration.edit_country",
                        callback=RegistrationAction(step=RegistrationStep.EDIT_COUNTRY),
                    ),
                ],
                [
                    Button(
                        label="registration.edit_language",
                        callback=RegistrationAction(step=RegistrationStep.EDIT_LANGUAGE),
                    ),
                    NAVIGATION[1],
                ],
            ],
        )


async def _advance(
    state: FSMContext, responder: Responder, answered: State, **changes: Any
) -> None:
    """Store the answer, then ask the next step (or return to the summary after an edit)."""
    data = await state.update_data(**changes)
    if data.pop("editing", False):
        step = SellerRegistration.summary
        await state.set_data(data)
    else:
        step = STEP_ORDER[STEP_ORDER.index(answered) + 1]
    await state.set_state(step)
    _prompt(step, data, responder)


async def resume(state: FSMContext, responder: Responder) -> bool:
    """Re-ask the current step (after /start, or when the user is unsure where they are)."""
    current = await state.get_state()
    for step in STEP_ORDER:
        if step.state == current:
            responder.reply("conversation.resumed")
            _prompt(step, await state.get_data(), responder)
            return True
    return False


async def begin(
    query: CallbackQuery,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    if await uow.sellers.by_telegram_user(event_from_user.id) is not None:
        responder.reply("registration.already_registered")
        return
    if query.message is not None:
        responder.remove_buttons(query.message.message_id)
    await state.set_state(SellerRegistration.store_name)
    await state.set_data({})
    _prompt(SellerRegistration.store_name, {}, responder)


async def store_name_given(message: Message, state: FSMContext, responder: Responder) -> None:
    assert message.text is not None
    await _advance(
        state,
        responder,
        SellerRegistration.store_name,
        store_name=sellers.clean_store_name(message.text),
    )


async def country_typed(message: Message, state: FSMContext, responder: Responder) -> None:
    assert message.text is not None
    country = country_from_text(message.text, responder, NAVIGATION)
    if country is not None:
        await _advance(state, responder, SellerRegistration.country, country=country)


async def country_pressed(
    query: CallbackQuery, callback_data: CountryChoice, state: FSMContext, responder: Responder
) -> None:
    if not is_country_code(callback_data.code):
        raise InvalidInput("errors.invalid_choice")
    await _advance(state, responder, SellerRegistration.country, country=callback_data.code.upper())


async def language_pressed(
    query: CallbackQuery, callback_data: LanguageChoice, state: FSMContext, responder: Responder
) -> None:
    locale = sellers.check_locale(callback_data.locale)
    # From here on the seller reads the bot in the language they picked.
    responder.locale = locale
    await _advance(state, responder, SellerRegistration.language, locale=locale)


async def expecting_a_button(message: Message, state: FSMContext, responder: Responder) -> None:
    responder.reply("conversation.use_buttons")
    current = await state.get_state()
    step = next(s for s in STEP_ORDER if s.state == current)
    _prompt(step, await state.get_data(), responder)


async def expecting_text(message: Message, responder: Responder) -> None:
    responder.reply("conversation.expecting_text")


async def confirm(
    query: CallbackQuery,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    data = await state.get_data()
    seller = await sellers.register_seller(
        sellers.RegisterSeller(
            telegram_user_id=event_from_user.id,
            store_name=data["store_name"],
            home_country=data["country"],
            locale=data["locale"],
        ),
        uow,
    )
    await state.clear()
    if query.message is not None:
        responder.remove_buttons(query.message.message_id)
    responder.locale = seller.locale
    responder.reply("registration.done", store_name=seller.store_name)


EDIT_TARGETS = {
    RegistrationStep.EDIT_NAME: SellerRegistration.store_name,
    RegistrationStep.EDIT_COUNTRY: SellerRegistration.country,
    RegistrationStep.EDIT_LANGUAGE: SellerRegistration.language,
}


async def edit_field(
    query: CallbackQuery, callback_data: RegistrationAction, state: FSMContext, responder: Responder
) -> None:
    step = EDIT_TARGETS[callback_data.step]
    data = await state.update_data(editing=True)
    await state.set_state(step)
    _prompt(step, data, responder)


async def back(query: CallbackQuery, state: FSMContext, responder: Responder) -> None:
    current = await state.get_state()
    index = next((i for i, s in enumerate(STEP_ORDER) if s.state == current), 0)
    step = STEP_ORDER[max(index - 1, 0)]
    data = await state.update_data(editing=False)
    await state.set_state(step)
    _prompt(step, data, responder)


async def cancel(query: CallbackQuery, state: FSMContext, responder: Responder) -> None:
    await state.clear()
    if query.message is not None:
        responder.remove_buttons(query.message.message_id)
    responder.reply("cancel.done")


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.callback_query.register(begin, RoleChoice.filter(F.role == ChosenRole.SELLER))
    router.message.register(store_name_given, SellerRegistration.store_name, F.text)
    router.message.register(country_typed, SellerRegistration.country, F.text)
    router.callback_query.register(
        country_pressed, SellerRegistration.country, CountryChoice.filter()
    )
    router.callback_query.register(
        language_pressed,
        SellerRegistration.language,
        LanguageChoice.filter(F.purpose == LanguagePurpose.REGISTRATION),
    )
    router.message.register(expecting_a_button, SellerRegistration.language)
    router.message.register(expecting_a_button, SellerRegistration.summary)
    router.message.register(expecting_text, SellerRegistration.store_name)
    router.message.register(expecting_text, SellerRegistration.country)
    router.callback_query.register(
        confirm,
        SellerRegistration.summary,
        RegistrationAction.filter(F.step == RegistrationStep.CONFIRM),
    )
    router.callback_query.register(
        edit_field, SellerRegistration.summary, RegistrationAction.filter(F.step.in_(EDIT_TARGETS))
    )
    router.callback_query.register(
        back, SellerRegistration(), RegistrationAction.filter(F.step == RegistrationStep.BACK)
    )
    router.callback_query.register(
        cancel, SellerRegistration(), RegistrationAction.filter(F.step == RegistrationStep.CANCEL)
    )
    return router
