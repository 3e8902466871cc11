"""The conversation engine: a `Conversation` is a list of `Step`s over a domain draft
(`domain.drafts`, which owns the rules: valid answers, which steps apply, what a change
resets). The engine gives forward, back, edit from the summary, cancel, resume and the
navigation row. It sends nothing itself: prompts are queued on the update's `Responder`, sent
after the commit, which is why it is ours and not aiogram's Scenes or aiogram-dialog.

The FSM holds `{"draft": ..., "editing": <edit target or None>, "scratch": {...}, "prompt":
<the current prompt's stamp, `prompts`>}` (during an edit also "before_edit", the draft the
summary showed); the scratch is what one step remembers between two updates (the line being
edited, the warnings shown), dropped whenever the conversation moves to another step.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Generic, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup

from domain.drafts.stored import StoredDraft, UnreadableDraft
from domain.errors import InvalidInput
from handlers.context import UpdateContext
from handlers.conversations.controls import Controls, Expect, Move
from handlers.conversations.prompts import PROMPT, CurrentPrompt
from handlers.keyboards import navigation_row
from handlers.responder import Button, Keyboard

log = logging.getLogger(__name__)

# A domain draft (`domain.drafts`): immutable, stored by its `to_data` and read by `from_data`.
DraftT = TypeVar("DraftT", bound=StoredDraft)


# What a step's handlers receive: the turn, the draft as stored, and the answer.
Answer = Callable[["Turn[DraftT]", DraftT, Any], Awaitable[None]]
Ask = Callable[["Turn[DraftT]", DraftT], Awaitable[None] | None]


@dataclass(frozen=True)
class Press(Generic[DraftT]):
    """A button of a step: the callback filter that recognises it and what it does."""

    filter: Any
    handle: Answer[DraftT]


@dataclass(frozen=True)
class Step(Generic[DraftT]):
    """One question of a conversation.

    It asks with `prompt` (a template, its `params` and the `keyboard` above the navigation
    row) or, for a step that asks in several ways, with `ask`. A typed answer goes through
    `parse` (the domain parser: a new draft, or a domain error the user reads) and the
    conversation moves on; `on_text`, `on_file` and `presses` are for answers that do more.
    """

    name: str
    prompt: str | None = None
    params: Callable[[Turn[DraftT], DraftT], Mapping[str, Any]] | None = None
    keyboard: Callable[[Turn[DraftT], DraftT], Keyboard] | None = None
    ask: Ask[DraftT] | None = None
    parse: Callable[[DraftT, str], DraftT] | None = None
    on_text: Answer[DraftT] | None = None
    on_file: Answer[DraftT] | None = None
    file_filter: Any = None
    presses: Sequence[Press[DraftT]] = ()
    # What anything else gets reminded of. Unsaid, it follows from what the step takes: a
    # file, else text, else its buttons; a step that takes text only after a press says so.
    expects: Expect | None = None
    reminder: str | None = None
    reminder_params: Mapping[str, Any] = field(default_factory=dict)
    # Whether the step applies to this draft; a step that does not is passed both ways.
    applies: Callable[[Turn[DraftT], DraftT], Awaitable[bool]] | None = None
    # Where Back goes from here when it is not the previous step: (step, draft) or None.
    back: Callable[[DraftT], tuple[str, DraftT] | None] | None = None

    def __post_init__(self) -> None:
        if self.expects is None:
            takes_text = self.parse is not None or self.on_text is not None
            expects = Expect.of(self.on_file is not None, takes_text, bool(self.presses))
            object.__setattr__(self, "expects", expects)


@dataclass(frozen=True)
class Conversation(Generic[DraftT]):
    """A conversation declared as data. Its last step is the summary the edits start from."""

    name: str  # how the user is told which conversation a stale button belongs to
    state_group: str  # the FSM state names are "<state_group>:<step>"
    steps: Sequence[Step[DraftT]]
    draft: Callable[[dict[str, Any]], DraftT]  # the draft's `from_data`
    controls: Controls
    # Summary edit target -> the steps it revisits; the summary comes back after the last.
    edits: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # What choosing an edit target resets on the draft (e.g. the amount is asked again).
    on_edit: Callable[[DraftT, str], DraftT] | None = None
    # An edit that starts elsewhere than at its first step (the list of an order's lines, kept
    # and changed one by one, rather than the first question of a new line).
    edit_starts: Mapping[str, str] = field(default_factory=dict)
    states: type[StatesGroup] = field(init=False)

    def __post_init__(self) -> None:
        group = type(
            self.state_group,
            (StatesGroup,),
            {"__module__": __name__, **{step.name: State() for step in self.steps}},
        )
        object.__setattr__(self, "states", group)

    # ----- declaration helpers -----
    @property
    def summary(self) -> str:
        return self.steps[-1].name

    def step(self, name: str) -> Step[DraftT]:
        return next(step for step in self.steps if step.name == name)

    def state(self, name: str) -> State:
        state: State = getattr(self.states, name)
        return state

    def step_of(self, raw_state: str | None) -> Step[DraftT] | None:
        prefix = f"{self.state_group}:"
        if raw_state is None or not raw_state.startswith(prefix):
            return None
        name = raw_state.removeprefix(prefix)
        return next((step for step in self.steps if step.name == name), None)

    def button(self, move: Move, value: str = "") -> CallbackData:
        return self.controls.pack(move, value)

    def navigation(self, step: str, editing: bool = False) -> list[Button]:
        """Back (not on the first step, unless it is edited from the summary) and Cancel."""
        back = None if step == self.steps[0].name and not editing else self.button(Move.BACK)
        return navigation_row(self.button(Move.CANCEL), back)


@dataclass(eq=False)
class Turn(CurrentPrompt, Generic[DraftT]):
    """One update inside a conversation: what the step handlers use to read and move it."""

    conversation: Conversation[DraftT]
    # The update's caller, state, unit of work and responder: what every handler works with.
    ctx: UpdateContext
    _: KW_ONLY
    message_id: int | None = None  # the message whose button was pressed, if any
    pressed_stamp: str | None = None  # the stamp of the button pressed (`button_stamps`)
    # Everything else aiogram passed the handler (e.g. the bot).
    extra: dict[str, Any] = field(default_factory=dict)
    _step: Step[DraftT] | None = field(default=None, init=False, repr=False)
    _data: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def step(self) -> Step[DraftT]:
        assert self._step is not None
        return self._step

    async def load(self) -> bool:
        """Read the stored state; False when the user is not in this conversation."""
        self._step = self.conversation.step_of(await self.ctx.state.get_state())
        self._data = await self.ctx.state.get_data()
        if self._step is not None:
            self._drawing()
        return self._step is not None

    async def draft(self) -> DraftT:
        try:
            return self.conversation.draft(self._data["draft"])
        except (KeyError, UnreadableDraft) as error:
            # Lost, never written by this engine, or stored in a format this version cannot read.
            log.warning("no readable draft in %s: %s", self.conversation.name, error)
            raise InvalidInput(
                "errors.stale_button_in_conversation", conversation=self.conversation.name
            ) from None

    @property
    def editing(self) -> str | None:
        value = self._data.get("editing")
        return value if isinstance(value, str) else None

    def scratch(self, key: str) -> Any:
        return self._data.get("scratch", {}).get(key)

    @property
    def navigation(self) -> list[Button]:
        return self.conversation.navigation(self.step.name, self.editing is not None)

    # ----- moving -----
    async def begin(self, draft: DraftT) -> None:
        """Start the conversation with `draft` (anything stored before is dropped)."""
        await self.ctx.state.set_data({})
        self._data = {}
        await self._enter(self.conversation.steps[0].name, draft, editing=None)

    async def save(self, draft: DraftT, **scratch: Any) -> None:
        """Keep `draft` (and what this step remembers) without moving."""
        self._draft_changed(self._data.get("draft"), draft.to_data())
        self._data = {
            **self._data,
            "draft": draft.to_data(),
            "scratch": {**self._data.get("scratch", {}), **scratch},
        }
        await self.ctx.state.set_data(self._data)

    async def ask_follow_up(
        self, draft: DraftT, key: str, pressed: Any, template: str, **params: Any
    ) -> None:
        """Ask about the button just pressed (remembered as `key`) before the step goes on; the
        typed answer goes to `follow_up`."""
        await self.save(draft, **{key: pressed})
        self.ctx.responder.reply(template, **params, keyboard=[self.navigation])

    async def follow_up(
        self, key: str, answer: Callable[[Any], DraftT | Awaitable[DraftT]]
    ) -> None:
        """A typed answer to `ask_follow_up`: `answer(what was pressed)` is the new draft (with
        nothing pressed, the step's buttons are asked for); then the step is asked again."""
        pressed = self.scratch(key)
        if pressed is None:
            self.ctx.responder.reply("conversation.use_buttons")
        else:
            draft = answer(pressed)
            await self.save(await draft if inspect.isawaitable(draft) else draft, **{key: None})
        await self.ask()

    async def stay(self, draft: DraftT) -> None:
        """Keep `draft` and ask the step again; after a press (a toggle), in the pressed message."""
        pressed = self.pressed_stamp if self.pressed_current_prompt else None
        await self.save(draft)
        self._keeping(pressed)
        with self.ctx.responder.in_place_of(self.message_id):
            await self.ask()

    async def advance(self, draft: DraftT, *, edit_done: bool = False) -> None:
        """The current step is answered: keep `draft`, ask the next step that applies.

        During an edit from the summary, the next step of the edit's group, then the summary;
        straight to the summary when `edit_done` (the answer changed nothing the rest of the
        group follows from, e.g. the same warehouse kind chosen again)."""
        steps = [step.name for step in self.conversation.steps]
        group = self.conversation.edits.get(self.editing or "")
        current, editing = self.step.name, self.editing
        if group and current in group and current != group[-1] and not edit_done:
            candidates = [*group[group.index(current) + 1 :], self.conversation.summary]
        elif group:
            candidates = [self.conversation.summary]
        else:
            candidates = steps[steps.index(current) + 1 :]
        for name in candidates:
            if name == self.conversation.summary or await self._applies(name, draft):
                editing = None if name == self.conversation.summary else editing
                await self._enter(name, draft, editing=editing)
                return

    async def go(self, name: str, draft: DraftT | None = None) -> None:
        """Move to step `name` (keeping the edit under way), e.g. "add another line"."""
        await self._enter(name, draft or await self.draft(), editing=self.editing)

    async def back(self) -> None:
        draft = await self.draft()
        if (target := self.editing) is not None and target in self.conversation.edits:
            await self._back_in_edit(target, draft)
            return
        special = self.step.back(draft) if self.step.back is not None else None
        if special is not None:
            name, draft = special
        else:
            steps = [step.name for step in self.conversation.steps]
            name = await self._previous(steps[: steps.index(self.step.name)], draft) or steps[0]
        await self._enter(name, draft, editing=None)

    async def edit(self, target: str) -> None:
        """From the summary: revisit the steps of `target`, then come back to the summary."""
        group = self.conversation.edits.get(target)
        if group is None or self.step.name != self.conversation.summary:
            raise InvalidInput("errors.invalid_choice")
        draft = before = await self.draft()
        if self.conversation.on_edit is not None:
            draft = self.conversation.on_edit(draft, target)
        start = self.conversation.edit_starts.get(target, group[0])
        await self._enter(start, draft, editing=target, before_edit=before.to_data())

    async def _back_in_edit(self, target: str, draft: DraftT) -> None:
        """Back stays in the edit (its previous step that applies); from where the edit started
        it is the summary as it was before (nothing of the edit kept), not the earlier steps."""
        group = self.conversation.edits[target]
        start, current = self.conversation.edit_starts.get(target, group[0]), self.step.name
        if current != start and current in group:
            special = self.step.back(draft) if self.step.back is not None else None
            if special is not None and special[0] in group:
                await self._enter(special[0], special[1], editing=target)
                return
            earlier = await self._previous(group[: group.index(current)], draft)
            if earlier is not None:
                await self._enter(earlier, draft, editing=target)
                return
        before = self._data.get("before_edit")
        draft = draft if before is None else self.conversation.draft(before)
        await self._enter(self.conversation.summary, draft, editing=None)

    # ----- asking -----
    async def ask(self) -> None:
        """Ask the current step's question, with the navigation row: the current prompt."""
        step = self.step
        draft = await self.draft()
        if step.ask is not None:
            result = step.ask(self, draft)
            if inspect.isawaitable(result):
                await result
        else:
            assert step.prompt is not None, f"step {step.name} neither asks nor has a prompt"
            params = step.params(self, draft) if step.params is not None else {}
            above = step.keyboard(self, draft) if step.keyboard is not None else []
            self.ctx.responder.reply(step.prompt, **params, keyboard=[*above, self.navigation])
        await self.settle()

    # ----- internals -----
    async def _applies(self, name: str, draft: DraftT) -> bool:
        step = self.conversation.step(name)
        return step.applies is None or await step.applies(self, draft)

    async def _previous(self, names: Sequence[str], draft: DraftT) -> str | None:
        for name in reversed(names):
            if await self._applies(name, draft):
                return name
        return None

    async def _enter(
        self, name: str, draft: DraftT, *, editing: str | None, before_edit: Any = None
    ) -> None:
        # The draft the summary showed is kept through an edit, for Back to return to.
        before = (before_edit or self._data.get("before_edit")) if editing is not None else None
        self._step = self.conversation.step(name)
        self._data = {"draft": draft.to_data(), "editing": editing, "scratch": {}}
        self._data[PROMPT] = self._new_prompt()
        if before is not None:
            self._data["before_edit"] = before
        await self.ctx.state.set_state(self.conversation.state(name))
        await self.ctx.state.set_data(self._data)
        await self.ask()
