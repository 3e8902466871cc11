"""The country question of a conversation (a seller's home country, a warehouse's, where an
order ships): the usual countries as buttons, any other typed by name or ISO code."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from domain import embargo
from handlers.callbacks import CountryChoice
from handlers.conversations.engine import Answer, DraftT, Press, Step, Turn
from handlers.keyboards import country_buttons, country_from_text
from handlers.responder import Keyboard


def country_step(
    prompt: str,
    offered: Callable[[DraftT], Iterable[str]],
    with_country: Callable[[DraftT, str], DraftT],
    *,
    params: Callable[[Turn[DraftT], DraftT], Mapping[str, Any]] | None = None,
    on_text: Answer[DraftT] | None = None,
    served_only: bool = False,
) -> Step[DraftT]:
    """The step "country": `offered` are the buttons for this draft, `with_country` the draft's
    answer to a country code. A typed name is looked up (several matches are offered as
    buttons) unless the conversation reads typed text itself (`on_text`). `served_only`: the
    country is where goods travel to or from, and a country under embargo is never offered
    (`domain.embargo`; the draft refuses it if typed or forged)."""

    def keyboard(turn: Turn[DraftT], draft: DraftT) -> Keyboard:
        responder = turn.ctx.responder
        countries = list(offered(draft))
        shown = embargo.served(countries) if served_only else countries
        return country_buttons(responder.renderer, responder.locale, shown)

    async def pressed(turn: Turn[DraftT], draft: DraftT, callback_data: CountryChoice) -> None:
        # The code is untrusted: the draft accepts only a country it knows.
        await turn.advance(with_country(draft, callback_data.code))

    async def typed(turn: Turn[DraftT], draft: DraftT, text: str) -> None:
        country = country_from_text(
            text, turn.ctx.responder, turn.navigation, served_only=served_only
        )
        if country is not None:
            await turn.advance(with_country(draft, country))

    return Step(
        "country",
        prompt=prompt,
        params=params,
        keyboard=keyboard,
        on_text=on_text or typed,
        presses=[Press(CountryChoice.filter(), pressed)],
    )
