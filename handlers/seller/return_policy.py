"""/returnpolicy (and the button under /returns): the seller's return policy as a card — the
window, the categories not taken back with their SKU prefixes, who pays return postage for each
reason — and its changes: the window, a category added (its name, then its prefixes) or
removed, the payer of a reason switched, everything back to the defaults.

A conversation on the engine over `domain.drafts.PolicyDraft`, so a change half typed survives
a restart and /cancel leaves it. Every change is saved at once through
`domain.services.return_policies` (which checks the caller is a seller, every time) and the card
is shown again; the cases opened afterwards follow it (`returns.open_case` reads the policy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import F, Router

from domain.drafts import PolicyDraft
from domain.returns.policy import (
    CATEGORY_NAME_MAX,
    DEFAULT_WINDOW_DAYS,
    MAX_PREFIXES_PER_CATEGORY,
    SKU_PREFIX_MAX,
    WINDOW_DAYS_MAX,
    ReturnPolicy,
)
from domain.returns.rules import ReturnReason
from domain.services import return_policies
from handlers.command_filters import any_case_command
from handlers.conversations import (
    Conversation,
    FormControls,
    Step,
    Turn,
    conversation_router,
    entry,
)
from handlers.responder import Button, Keyboard
from handlers.return_callbacks import PolicyForm, PolicyFormAction

PolicyTurn = Turn[PolicyDraft]
CONTROLS = FormControls.of(PolicyForm)


def _to_card(draft: PolicyDraft) -> tuple[str, PolicyDraft]:
    return "card", draft.unchanged()


# ----- the card -----


def _card_keyboard(turn: PolicyTurn, policy: ReturnPolicy) -> Keyboard:
    label = turn.ctx.responder.label
    return [
        [CONTROLS.button("return_policy.change_window", PolicyFormAction.WINDOW)],
        [CONTROLS.button("return_policy.add_category", PolicyFormAction.ADD)],
        *(
            [
                CONTROLS.button(
                    "return_policy.remove_category",
                    PolicyFormAction.REMOVE,
                    category.key,
                    name=category.name,
                )
            ]
            for category in policy.non_returnable
        ),
        *(
            [
                CONTROLS.button(
                    "return_policy.switch_payer",
                    PolicyFormAction.PAYER,
                    reason.value,
                    reason=label(f"return_reason.{reason.value}"),
                    payer=label(f"return_policy.payer_{policy.postage_payer(reason).value}"),
                )
            ]
            for reason in ReturnReason
        ),
        [
            CONTROLS.button("return_policy.reset", PolicyFormAction.RESET),
            CONTROLS.button("return_policy.done", PolicyFormAction.DONE),
        ],
    ]


async def ask_card(turn: PolicyTurn, draft: PolicyDraft) -> None:
    policy = await return_policies.policy_for(turn.ctx.user_id, turn.ctx.uow)
    turn.ctx.responder.reply(
        "return_policy.card",
        saved=draft.saved,
        window_days=policy.window_days,
        categories=[
            {"name": category.name, "prefixes": list(category.sku_prefixes)}
            for category in policy.non_returnable
        ],
        postage=[(reason.value, policy.postage_payer(reason).value) for reason in ReturnReason],
        keyboard=_card_keyboard(turn, policy),
    )


async def _saved(turn: PolicyTurn, draft: PolicyDraft) -> None:
    """The change is saved: its card again, saying so, in place of the pressed one's buttons
    (a typed answer pressed none)."""
    turn.remove_pressed_buttons()
    await turn.go("card", draft.after_saving())


async def _change(
    turn: PolicyTurn, draft: PolicyDraft, changed: Callable[[ReturnPolicy], ReturnPolicy]
) -> None:
    """Save the caller's policy as `changed` makes it (the service checks they are a seller),
    then show the card again."""
    await return_policies.change(turn.ctx.user_id, changed, turn.ctx.uow)
    await _saved(turn, draft)


# A press takes the card's buttons away: the next card shows the current ones.
async def window_pressed(turn: PolicyTurn, draft: PolicyDraft, data: PolicyForm) -> None:
    turn.remove_pressed_buttons()
    await turn.go("window", draft.unchanged())


async def add_pressed(turn: PolicyTurn, draft: PolicyDraft, data: PolicyForm) -> None:
    # A store that has all the categories it may have is told so before typing a name.
    policy = await return_policies.policy_for(turn.ctx.user_id, turn.ctx.uow)
    policy.check_room_for_category()
    turn.remove_pressed_buttons()
    await turn.go("category_name", draft.unchanged())


async def remove_pressed(turn: PolicyTurn, draft: PolicyDraft, data: PolicyForm) -> None:
    await _change(turn, draft, lambda policy: policy.without_category(data.value))


async def payer_pressed(turn: PolicyTurn, draft: PolicyDraft, data: PolicyForm) -> None:
    await _change(turn, draft, lambda policy: policy.with_payer_switched(data.value))


async def reset_pressed(turn: PolicyTurn, draft: PolicyDraft, data: PolicyForm) -> None:
    turn.remove_pressed_buttons()
    await turn.go("reset", draft.unchanged())


async def done_pressed(turn: PolicyTurn, draft: PolicyDraft, data: PolicyForm) -> None:
    await turn.finish()
    turn.ctx.responder.reply("return_policy.closed")


# ----- typed answers -----


async def window_typed(turn: PolicyTurn, draft: PolicyDraft, text: str) -> None:
    await _change(turn, draft, lambda policy: policy.with_window(text))


async def name_typed(turn: PolicyTurn, draft: PolicyDraft, text: str) -> None:
    named = draft.with_category_name(text)
    assert named.category_name is not None
    policy = await return_policies.policy_for(turn.ctx.user_id, turn.ctx.uow)
    policy.check_new_category_name(named.category_name)
    await turn.advance(named)


async def prefixes_typed(turn: PolicyTurn, draft: PolicyDraft, text: str) -> None:
    category = draft.category(text)
    await _change(turn, draft, lambda policy: policy.with_category(category))


async def reset_confirmed(turn: PolicyTurn, draft: PolicyDraft, data: PolicyForm) -> None:
    await return_policies.reset(turn.ctx.user_id, turn.ctx.uow)
    await _saved(turn, draft)


CONVERSATION: Conversation[PolicyDraft] = Conversation(
    name="return_policy",
    state_group="ReturnPolicyConversation",
    draft=PolicyDraft.from_data,
    controls=CONTROLS,
    steps=[
        Step(
            "card",
            ask=ask_card,
            presses=[
                CONTROLS.press(PolicyFormAction.WINDOW, window_pressed),
                CONTROLS.press(PolicyFormAction.ADD, add_pressed),
                CONTROLS.press(PolicyFormAction.REMOVE, remove_pressed),
                CONTROLS.press(PolicyFormAction.PAYER, payer_pressed),
                CONTROLS.press(PolicyFormAction.RESET, reset_pressed),
                CONTROLS.press(PolicyFormAction.DONE, done_pressed),
            ],
        ),
        Step(
            "window",
            prompt="return_policy.ask_window",
            params=lambda turn, draft: {"max": WINDOW_DAYS_MAX},
            on_text=window_typed,
            back=_to_card,
        ),
        Step(
            "category_name",
            prompt="return_policy.ask_category_name",
            params=lambda turn, draft: {"max": CATEGORY_NAME_MAX},
            on_text=name_typed,
            back=_to_card,
        ),
        Step(
            "category_prefixes",
            prompt="return_policy.ask_prefixes",
            params=lambda turn, draft: {
                "name": draft.category_name,
                "max": MAX_PREFIXES_PER_CATEGORY,
                "length": SKU_PREFIX_MAX,
            },
            on_text=prefixes_typed,
        ),
        Step(
            "reset",
            prompt="return_policy.confirm_reset",
            params=lambda turn, draft: {"days": DEFAULT_WINDOW_DAYS},
            **CONTROLS.offer(
                "return_policy.reset_yes", PolicyFormAction.RESET_YES, reset_confirmed
            ),
            back=_to_card,
        ),
    ],
)


async def first_draft(turn: PolicyTurn, event: Any) -> PolicyDraft:
    """Only a seller edits a policy: anyone else gets the usual answer (`seller_of`)."""
    await return_policies.policy_for(turn.ctx.user_id, turn.ctx.uow)
    return PolicyDraft()


def policy_button() -> Button:
    """The button that opens the card (under /returns)."""
    return CONTROLS.button("return_policy.open", PolicyFormAction.OPEN)


def build_command_router() -> Router:
    """The command and the button that open the card: tried before any conversation's steps,
    so /returnpolicy works in the middle of another conversation."""
    router = Router(name=f"{__name__}.commands")
    start = entry(CONVERSATION, first_draft)
    router.message.register(start, any_case_command("returnpolicy"))
    router.callback_query.register(start, PolicyForm.filter(F.action == PolicyFormAction.OPEN))
    return router


def build_router() -> Router:
    """The conversation's steps, among the other conversations."""
    return conversation_router(__name__, CONVERSATION)
