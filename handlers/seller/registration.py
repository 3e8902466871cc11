"""Seller registration: store name -> home country -> language -> summary -> create.

Declared on the conversation engine (`handlers.conversations`); the answers' rules are on
`domain.drafts.SellerDraft`. The state is kept in the database, so a restart resumes there.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router

from domain.countries import COMMON_SELLER_COUNTRIES
from domain.drafts import SellerDraft
from domain.services import sellers
from handlers.callbacks import (
    ChosenRole,
    LanguageChoice,
    LanguagePurpose,
    RegistrationAction,
    RegistrationStep,
    RoleChoice,
)
from handlers.conversations import Controls, Conversation, Move, Press, Step, Turn, register
from handlers.conversations.countries import country_step
from handlers.conversations.routing import entry
from handlers.keyboards import language_keyboard
from handlers.responder import Button

# The summary's edit buttons, by the step each revisits.
EDIT_BUTTONS = {
    RegistrationStep.EDIT_NAME: "store_name",
    RegistrationStep.EDIT_COUNTRY: "country",
    RegistrationStep.EDIT_LANGUAGE: "language",
}
MOVES = {RegistrationStep.BACK: Move.BACK, RegistrationStep.CANCEL: Move.CANCEL}


def _pack(move: Move, value: str) -> RegistrationAction:
    if move == Move.EDIT:
        step = next(button for button, target in EDIT_BUTTONS.items() if target == value)
    else:
        step = next(button for button, known in MOVES.items() if known == move)
    return RegistrationAction(step=step)


def _read(callback_data: RegistrationAction) -> tuple[Move, str] | None:
    if callback_data.step in MOVES:
        return MOVES[callback_data.step], ""
    if callback_data.step in EDIT_BUTTONS:
        return Move.EDIT, EDIT_BUTTONS[callback_data.step]
    return None


def _action(step: RegistrationStep) -> RegistrationAction:
    return RegistrationAction(step=step)


# ----- answers -----


async def language_pressed(
    turn: Turn[SellerDraft], draft: SellerDraft, callback_data: LanguageChoice
) -> None:
    draft = draft.with_locale(callback_data.locale)
    # From here on the seller reads the bot in the language they picked.
    assert draft.locale is not None
    turn.ctx.responder.locale = draft.locale
    await turn.advance(draft)


async def confirm(turn: Turn[SellerDraft], draft: SellerDraft, callback_data: Any) -> None:
    seller = await sellers.register_seller(draft.command(turn.ctx.user_id), turn.ctx.uow)
    await turn.finish()
    turn.ctx.responder.locale = seller.locale
    turn.ctx.responder.reply("registration.done", store_name=seller.store_name)


# ----- questions -----


def _summary(turn: Turn[SellerDraft], draft: SellerDraft) -> None:
    def edit(label: str, step: RegistrationStep) -> Button:
        return Button(label=label, callback=_action(step))

    responder = turn.ctx.responder
    assert draft.locale is not None
    responder.reply(
        "registration.summary",
        store_name=draft.store_name,
        country=draft.country,
        language=responder.renderer.language_name(draft.locale),
        keyboard=[
            [Button(label="registration.confirm", callback=_action(RegistrationStep.CONFIRM))],
            [
                edit("registration.edit_store_name", RegistrationStep.EDIT_NAME),
                edit("registration.edit_country", RegistrationStep.EDIT_COUNTRY),
            ],
            [
                edit("registration.edit_language", RegistrationStep.EDIT_LANGUAGE),
                Button(label="common.cancel", callback=_action(RegistrationStep.CANCEL)),
            ],
        ],
    )


CONVERSATION: Conversation[SellerDraft] = Conversation(
    name="store_registration",
    state_group="SellerRegistration",
    draft=SellerDraft.from_data,
    controls=Controls(callback=RegistrationAction, pack=_pack, read=_read),
    edits={target: [target] for target in EDIT_BUTTONS.values()},
    steps=[
        Step(
            "store_name",
            prompt="registration.ask_store_name",
            params=lambda turn, draft: {"current": draft.store_name},
            parse=SellerDraft.with_store_name,
        ),
        country_step(
            "registration.ask_country",
            lambda draft: COMMON_SELLER_COUNTRIES,
            SellerDraft.with_country,
            served_only=True,
        ),
        Step(
            "language",
            prompt="registration.ask_language",
            keyboard=lambda turn, draft: language_keyboard(
                turn.ctx.responder.renderer, LanguagePurpose.REGISTRATION
            ),
            presses=[
                Press(
                    LanguageChoice.filter(F.purpose == LanguagePurpose.REGISTRATION),
                    language_pressed,
                )
            ],
        ),
        Step(
            "summary",
            ask=_summary,
            presses=[Press(RegistrationAction.filter(F.step == RegistrationStep.CONFIRM), confirm)],
        ),
    ],
)


async def _first_draft(turn: Turn[SellerDraft], callback_data: RoleChoice) -> SellerDraft | None:
    if await turn.ctx.uow.sellers.by_telegram_user(turn.ctx.user_id) is not None:
        turn.ctx.responder.reply("registration.already_registered")
        return None
    if turn.message_id is not None:
        turn.ctx.responder.remove_buttons(turn.message_id)
    return SellerDraft()


# The newcomer's "I sell" button on /start.
begin = entry(CONVERSATION, _first_draft)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.callback_query.register(begin, RoleChoice.filter(F.role == ChosenRole.SELLER))
    register(CONVERSATION, router)
    return router
