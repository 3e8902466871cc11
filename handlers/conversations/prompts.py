"""Which message is a conversation's current prompt, so a button left on an older one does
not act on the draft as it is now (`handlers.button_stamps` says how a button carries it).

Every turn draws its buttons with a new stamp; once it drew any, that stamp is the current
prompt's, kept in the FSM data as "prompt" (so it survives a restart). Entering a step and
changing the draft retire the stamp drawn before within the turn, so only buttons drawn after
the last change are current. A question asked again in place of the pressed message (a toggle)
keeps that message's stamp: it is the same message, now showing the new draft.
"""

from __future__ import annotations

from typing import Any

from handlers.button_stamps import new_stamp
from handlers.context import UpdateContext

PROMPT = "prompt"  # the FSM data key of the current prompt's stamp


class CurrentPrompt:
    """The `Turn`'s bookkeeping of its messages (a mixin, on the turn's own fields): which is
    the current prompt, and at the end, the pressed one's buttons taken away."""

    ctx: UpdateContext
    message_id: int | None
    pressed_stamp: str | None
    _data: dict[str, Any]
    _stamp: str | None = None  # what the turn draws its buttons with
    _over: bool = False  # the conversation finished in this turn

    @property
    def pressed_current_prompt(self) -> bool:
        """Whether the pressed button is on the current prompt: drawn after the last change of
        step or draft (a button with no stamp never is)."""
        return self.pressed_stamp is not None and self.pressed_stamp == self._data.get(PROMPT)

    def _drawing(self, stamp: str | None = None) -> str:
        """Draw the buttons queued from now on with `stamp`, else a new one if the current one
        is already on a button of this update, else the current one."""
        if stamp is None:
            current = self._stamp
            drawn = current is not None and current in self.ctx.responder.stamps_drawn
            stamp = new_stamp() if current is None or drawn else current
        self._stamp = self.ctx.responder.button_stamp = stamp
        self._over = False
        return stamp

    def _new_prompt(self) -> str:
        """A new step is asked: the buttons drawn before, even in this update, are stale."""
        return self._drawing(new_stamp())

    def _keeping(self, pressed: str | None) -> None:
        """The pressed current prompt is asked again in its own place (a toggle): it stays the
        current prompt, showing the new draft."""
        if pressed is not None and self.message_id is not None:
            self._drawing(pressed)

    def _draft_changed(self, before: Any, after: Any) -> None:
        """A prompt drawn before the draft changed no longer shows it."""
        if before != after:
            self._data[PROMPT] = None
            self._drawing()

    def _stop_drawing(self) -> None:
        self.ctx.responder.button_stamp = None
        self._over = True

    # ----- the end of the conversation -----
    async def finish(self) -> None:
        """The conversation is over (done or cancelled): forget it, take the buttons away."""
        await self.ctx.state.clear()
        self._data = {}
        self._stop_drawing()
        self.remove_pressed_buttons()

    def remove_pressed_buttons(self) -> None:
        """Take the buttons off the message whose button was pressed (when one was)."""
        if self.message_id is not None:
            self.ctx.responder.remove_buttons(self.message_id)

    async def cancel(self) -> None:
        await self.finish()
        self.ctx.responder.reply("cancel.done")

    async def settle(self) -> None:
        """After the turn: if it drew buttons, they are the current prompt's from now on."""
        stamp = self._stamp
        if self._over or stamp is None or stamp not in self.ctx.responder.stamps_drawn:
            return
        if self._data.get(PROMPT) != stamp:
            self._data[PROMPT] = stamp
            await self.ctx.state.set_data(self._data)
