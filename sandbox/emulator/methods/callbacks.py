"""Callback queries: the button presses waiting for the bot's answerCallbackQuery.

A press (``open``) gets a query id the bot must answer once; a second answer, or an answer to a
query that never existed, is refused as Telegram refuses it. The answers are kept in order
(``answers``): what the user saw after pressing the button.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sandbox.emulator.events import EventHub
from sandbox.emulator.methods import MethodFamily, bot_api
from sandbox.emulator.params import Params, bool_param
from sandbox.emulator.records import BotApiError, CallbackAnswer

__all__ = ["CallbackQueries"]


@dataclass(slots=True)
class _PendingCallback:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    answered: bool = False


class CallbackQueries(MethodFamily):
    def __init__(self, events: EventHub) -> None:
        self.answers: list[CallbackAnswer] = []
        self._events = events
        self._pending: dict[str, _PendingCallback] = {}

    def open(self, user_id: int, chat_id: int, message_id: int) -> str:
        """A user pressed a button on a message: the new query's id."""
        query_id = str(secrets.randbits(63))
        self._pending[query_id] = _PendingCallback(query_id, user_id, chat_id, message_id)
        return query_id

    @bot_api("answerCallbackQuery")
    async def answer_callback_query(self, params: Params) -> bool:
        pending = self._pending.get(str(params["callback_query_id"]))
        if pending is None or pending.answered:
            raise BotApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        pending.answered = True
        text = params.get("text")
        answer = CallbackAnswer(
            pending.id,
            pending.user_id,
            str(text) if text is not None else None,
            bool_param(params, "show_alert"),
            params.get("url"),
        )
        self.answers.append(answer)
        self._events.emit(
            "callback_answer",
            pending.chat_id,
            pending.message_id,
            {"text": answer.text, "show_alert": answer.show_alert, "url": answer.url},
        )
        return True
