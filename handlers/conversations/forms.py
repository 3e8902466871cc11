"""The usual controls of a conversation: a form's callback data (`FormFields`: an action enum
and a value) read as the engine's moves, which also makes the steps' buttons and their presses,
so a form module declares none of them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiogram import F
from aiogram.filters.callback_data import CallbackData

from handlers.conversations.controls import Controls, Move
from handlers.conversations.engine import Answer, Press
from handlers.keyboards import rows_of, single_button
from handlers.responder import Button, Keyboard


@dataclass(frozen=True)
class FormControls(Controls):
    """Controls over a form's callback data (`action`, `value`) that also make its steps'
    buttons and recognise their presses, so a form module declares neither."""

    @classmethod
    def of(cls, form: type[CallbackData]) -> FormControls:
        """The controls of a form's callback data (with `handlers.callbacks.FormFields`).

        Its action enum's BACK and CANCEL members are the engine's moves, and EDIT when the
        form's summary edits; its other members are the steps' own buttons."""
        actions = form.model_fields["action"].annotation
        assert isinstance(actions, enum.EnumMeta), f"{form.__name__}.action is not an enum"
        moves = {move: actions[move.name] for move in Move if move.name in actions.__members__}
        by_action = {action: move for move, action in moves.items()}

        def pack(move: Move, value: str) -> CallbackData:
            return form(action=moves[move], value=value)

        def read(callback_data: Any) -> tuple[Move, str] | None:
            move = by_action.get(callback_data.action)
            return None if move is None else (move, callback_data.value)

        return cls(callback=form, pack=pack, read=read)

    def data(self, action: enum.Enum, value: str = "") -> CallbackData:
        return self.callback(action=action, value=value)

    def button(self, label: str, action: enum.Enum, value: str = "", **params: Any) -> Button:
        """`label` (with `params`) pressing `action` with `value`."""
        return Button(label=label, params=params, callback=self.data(action, value))

    def single_button(
        self, label: str, action: enum.Enum, value: str = "", **params: Any
    ) -> Keyboard:
        """A keyboard of that one button."""
        return single_button(label, self.data(action, value), **params)

    def choices(
        self, action: enum.Enum, values: Iterable[enum.Enum], labels: str, per_row: int = 1
    ) -> Keyboard:
        """A button per value, `per_row` to a row, labelled `<labels><value>`: pressing it is
        `action` with the value."""
        buttons = [
            Button(label=f"{labels}{value.value}", callback=self.data(action, value.value))
            for value in values
        ]
        return rows_of(buttons, per_row)

    def offer(self, label: str, action: enum.Enum, handle: Answer[Any]) -> dict[str, Any]:
        """A step's one button of its own above the navigation (a Skip, say), handled by
        `handle`: the step's `keyboard` and `presses`, spread into it (`Step(…, **offer)`)."""
        return {
            "keyboard": lambda turn, draft: self.single_button(label, action),
            "presses": [self.press(action, handle)],
        }

    def press(self, action: enum.Enum | set[Any], handle: Answer[Any]) -> Press[Any]:
        """The step's button(s) of `action` (or of any action in a set) handled by `handle`."""
        if isinstance(action, set):
            return Press(self.callback.filter(F.action.in_(action)), handle)
        return Press(self.callback.filter(F.action == action), handle)
