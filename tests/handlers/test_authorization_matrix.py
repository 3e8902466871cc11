"""The authorization matrix, generated from the callback data classes the handlers declare.

Every `CallbackData` subclass reachable from `handlers` is enumerated; each of its fields is
filled from what the matrix knows about that field (an id of tenant A's object, a value a form
takes, every member of an enum), so every combination of action and id is pressed. Then every
other role and tenant — seller B, B's buyer, A's own buyer (against the store's side), an
operator (against the stores' and buyers' sides) and a stranger — presses each forged button
with tenant A's ids, and again with ids that do not exist. The commands that take an id (a
buyer link's `/start <token>`, `/ship <order number>`) are attempted the same way.

Asserted: nothing any attacker receives contains A's data; no row of A's changes; and a
forged id is answered exactly like a missing one. A new callback class or field the matrix
cannot fill fails the test, naming it.
"""

from __future__ import annotations

import enum
import importlib
import itertools
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData

import handlers
from domain.returns.rules import Side
from domain.services.orders import lifecycle
from handlers import button_stamps
from handlers.buyer.callbacks import BuyerAction, BuyerOrder, ReturnForm, ReturnFormAction
from handlers.callbacks import WarehouseMenu, WarehouseMenuAction
from handlers.order_callbacks import OrderMenu, OrderMenuAction
from handlers.return_callbacks import CaseAct, CaseButton, ReturnAction, ReturnMenu
from handlers.shipment_callbacks import ShipmentAction, ShipmentMenu
from handlers.shipping_callbacks import ShippingForm, ShippingFormAction
from tests.e2e.conftest import OPERATOR_ID
from tests.handlers.chat import Answer, Chat, HandlerBot, Press
from tests.handlers.tenant_world import Tenant, make_tenant, snapshot

STRANGER = 8999
MISSING_ID = 987_654

# The classes the matrix fills, and the side of the bot each belongs to (who may press it).
SELLER_SIDE = {
    "WarehouseMenu", "WarehouseForm", "OrderMenu", "OrderRefund", "NewOrderForm", "ShipOrder",
    "ShippingForm",
    "ShipmentMenu", "ReturnMenu", "RateCardForm", "RegistrationAction", "CountryChoice",
    "PolicyForm", "SentRateCard",
}  # fmt: skip
BUYER_SIDE = {"BuyerOrder", "BuyerCase", "ReturnForm", "TimeZoneChoice"}
OPERATOR_SIDE = {"ReviewAction", "OutboxAction", "DisputeMenu", "OutcomeForm"}
# A return case's buttons serve both its sides; the side is in the data, so A's own buyer
# forging the seller's side of A's case is an attacker too (`_own_side`).
CASE_SIDES = {"CasePick", "CaseAct", "OfferForm", "LegForm"}
ANYONE = {"RoleChoice", "LanguageChoice"}
# Erasing one's own data changes the rows of the stores one bought from (the buyer's name and
# messages on their cases) by design, and it carries no id: tests/reliability/test_erasure.py.
ONLY_ONESELF = {"ErasureAction"}
KNOWN_CLASSES = SELLER_SIDE | BUYER_SIDE | OPERATOR_SIDE | CASE_SIDES | ANYONE | ONLY_ONESELF


def _id_fields(a: Tenant) -> dict[str, list[int]]:
    """The id fields and tenant A's objects of that kind."""
    return {
        "warehouse_id": [a.warehouse_id, a.pending_warehouse_id],
        "order_id": [a.pending_order_id, a.shipped_order_id],
        "shipment_id": [a.shipment_id],
        "case_id": [a.case_id],
        "offer_id": [a.offer_id],
        "import_id": [a.import_id],
    }


def _value_fields(a: Tenant) -> dict[str, list[Any]]:
    """The free fields: what a real button puts there, and tenant A's ids where a form takes
    an id in its `value` (a warehouse chosen for a shipment, an order line to return)."""
    return {
        "value": ["", str(a.warehouse_id), str(a.line_ids[0])],
        "field": ["", "name"],
        "decision": ["", "approve", "reject"],
        "code": ["DE"],
        "locale": ["en"],
        "zone": ["", "Europe/Berlin"],
        "page": [0],
        "retry_all": [True, False],
        # A confirmation's token is the presser's own; no other user's can be named.
        "token": [0],
        # The revision a review card showed: only operators may decide, whatever it names.
        "shown": [0],
    }


def callback_classes() -> dict[str, type[CallbackData]]:
    """Every CallbackData subclass defined under `handlers`, by name."""
    for module in pkgutil.walk_packages(handlers.__path__, "handlers."):
        importlib.import_module(module.name)
    found: dict[str, type[CallbackData]] = {}
    pending = list(CallbackData.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("handlers."):
            found[cls.__name__] = cls
    return found


def forged(cls: type[CallbackData], a: Tenant) -> Iterator[tuple[str, str]]:
    """Each combination of the class's fields: (data with A's ids, the same with missing ids)."""
    ids, values = _id_fields(a), _value_fields(a)
    names: list[str] = []
    choices: list[list[Any]] = []
    for name, field in cls.model_fields.items():
        annotation = field.annotation
        names.append(name)
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            choices.append(list(annotation))
        elif name in ids:
            choices.append(ids[name])
        elif name == "value" and annotation is int:
            choices.append([0, a.warehouse_id])
        elif name in values:
            choices.append(values[name])
        else:
            raise AssertionError(
                f"{cls.__name__}.{name}: the authorization matrix does not know how to fill this "
                "field; add it to _id_fields (an id of a tenant's object) or _value_fields"
            )
    a_ids = {str(i) for kind in ids.values() for i in kind} | {str(a.line_ids[0])}
    for combination in itertools.product(*choices):
        fields = dict(zip(names, combination, strict=True))
        missing = {
            k: (MISSING_ID if isinstance(v, int) and not isinstance(v, bool) else str(MISSING_ID))
            if str(v) in a_ids and (k in ids or k == "value")
            else v
            for k, v in fields.items()
        }
        yield cls(**fields).pack(), cls(**missing).pack()


def _sides_against(attacker: str) -> set[str]:
    """The classes an attacker is not entitled to use on tenant A's objects."""
    if attacker == "buyer A":
        return SELLER_SIDE | OPERATOR_SIDE | CASE_SIDES | ANYONE
    if attacker == "operator":
        return SELLER_SIDE | BUYER_SIDE | CASE_SIDES | ANYONE
    return SELLER_SIDE | BUYER_SIDE | OPERATOR_SIDE | CASE_SIDES | ANYONE


READ_LIKE_THE_TRANSCRIPT = frozenset({CaseButton.TRANSCRIPT, CaseButton.EVIDENCE})


def _entitled(attacker: str, data: str) -> bool:
    """What an attacker may press on A's objects after all: A's buyer their own side of A's
    case (and picking it); A's buyer the case's transcript and its photos, whatever side the
    button names (`handlers.return_transcript`: both sides read them; operators only once it is
    escalated, which A's case is not, so an operator's press is answered as for a missing
    case)."""
    if data.startswith("rca:") and CaseAct.unpack(data).action in READ_LIKE_THE_TRANSCRIPT:
        return attacker == "buyer A"
    if attacker != "buyer A":
        return False
    if data.startswith("rcp:"):
        return True
    return data.startswith("rca:") and CaseAct.unpack(data).side is Side.BUYER


def _reply_of(answer: Answer) -> tuple[list[str], list[str | None]]:
    return answer.texts, [popup.text for popup in answer.popups]


def _leaks(answer: Answer, secrets: tuple[str, ...]) -> list[str]:
    said = " ".join([*answer.texts, *(p.text or "" for p in answer.popups)]).casefold()
    said += " ".join(str(d.document) + str(d.caption) for d in answer.documents).casefold()
    return [secret for secret in secrets if secret.casefold() in said]


def test_every_callback_class_is_in_the_matrix() -> None:
    declared = set(callback_classes())
    assert declared == KNOWN_CLASSES, (
        f"callback classes not covered by the authorization matrix: {declared - KNOWN_CLASSES}; "
        f"gone: {KNOWN_CLASSES - declared}. Put each new one in SELLER_SIDE, BUYER_SIDE, "
        "OPERATOR_SIDE, CASE_SIDES, ANYONE or ONLY_ONESELF and make sure its fields can be filled."
    )


ATTACKERS = ("seller B", "buyer B", "buyer A", "operator", "stranger")


# One attacker a test, so the parallel suite spreads the matrix over its workers.
@pytest.mark.parametrize("attacker", ATTACKERS)
async def test_no_role_or_tenant_reads_or_writes_tenant_a(
    busy_bot: HandlerBot, attacker: str
) -> None:
    uow_factory = busy_bot.uow
    a = await make_tenant(uow_factory, "Aardvark", 8101, 31_000_001)
    b = await make_tenant(uow_factory, "Badger", 8102, 31_000_002)
    user_of = {
        "seller B": b.seller_user,
        "buyer B": b.buyer_user,
        "buyer A": a.buyer_user,
        "operator": OPERATOR_ID,
        "stranger": STRANGER,
    }
    attackers = {attacker: Chat(busy_bot, user_of[attacker])}
    # Everyone's last-seen time and conversation change as they write: only the store's user
    # keeps those; A's buyer's subscription (their own settings) is A's.
    owners = {
        "telegram_users": {a.seller_user},
        "conversation_states": {a.seller_user},
        "buyer_subscriptions": {a.buyer_user},
    }
    before = await snapshot(uow_factory, owners)
    classes = callback_classes()
    leaks: list[str] = []
    differ: list[str] = []
    pressed = 0
    for who, chat in attackers.items():
        secrets = a.seller_only_secrets if who == "buyer A" else a.secrets
        for name in sorted(_sides_against(who)):
            for with_a, with_missing in forged(classes[name], a):
                if _entitled(who, with_a):
                    continue
                theirs = await chat.press_data(1, with_a)
                pressed += 1
                leaks += [f"{who} pressing {with_a}: {s!r}" for s in _leaks(theirs, secrets)]
                assert theirs.popups, f"{who} pressing {with_a}: the press was not answered"
                if with_missing != with_a:
                    missing = await chat.press_data(1, with_missing)
                    if _reply_of(theirs) != _reply_of(missing):
                        differ.append(
                            f"{who} pressing {with_a}: {_reply_of(theirs)} "
                            f"but for a missing id {_reply_of(missing)}"
                        )
        for command, missing_command in (
            (f"/start {a.token}", "/start " + "Q" * len(a.token)),
            (f"/ship {a.pending_order_number}", "/ship NOPE-404"),
            (f"/ship {a.shipped_order_number}", "/ship NOPE-404"),
            (f"/transcript R-{a.case_id}", f"/transcript R-{MISSING_ID}"),
        ):
            if who == "buyer A" and (a.token in command or "/transcript" in command):
                continue  # their own link, their own case
            theirs = await chat.send(command)
            # What the attacker typed may be echoed back ("no order X"): not a leak.
            typed = command.split()[1].casefold()
            leaks += [
                f"{who} sending {command}: {s!r}"
                for s in _leaks(theirs, secrets)
                if s.casefold() not in typed
            ]
            missing = await chat.send(missing_command)
            # Each reply with what was typed in place of the argument: the same words.
            said = [t.replace(command.split()[1], "…") for t in theirs.texts]
            said_missing = [t.replace(missing_command.split()[1], "…") for t in missing.texts]
            if said != said_missing:
                differ.append(f"{who} {command}: {theirs.texts} vs {missing.texts}")
            await chat.send("/cancel")
    after = await snapshot(uow_factory, owners)
    changed = {table for table in before if before[table] != after.get(table)}
    assert pressed > 50, pressed
    assert not leaks, "\n".join(leaks)
    assert not changed, {t: (before[t], after.get(t)) for t in changed}
    assert not differ, "\n".join(differ)
    if attacker != ATTACKERS[0]:
        return  # the owners' side is checked once
    # The forged buttons are real ones: pressed by their owners, they show what was refused.
    owner_views = [
        (a.seller_user, OrderMenu(action=OrderMenuAction.VIEW, order_id=a.pending_order_id)),
        (
            a.seller_user,
            WarehouseMenu(action=WarehouseMenuAction.VIEW, warehouse_id=a.warehouse_id),
        ),
        (a.seller_user, ShipmentMenu(action=ShipmentAction.VIEW, shipment_id=a.shipment_id)),
        (a.seller_user, ReturnMenu(action=ReturnAction.VIEW, case_id=a.case_id)),
        (a.buyer_user, BuyerOrder(action=BuyerAction.OPEN, order_id=a.shipped_order_id)),
    ]
    for owner, button in owner_views:
        shown = await Chat(busy_bot, owner).press_data(1, button.pack())
        assert _leaks(shown, a.secrets), f"{button.pack()} shows its owner nothing of theirs"


def _drawn(chat: Chat) -> list[str]:
    """The callback data of every button the chat was shown, as its class packed it."""
    return [
        button_stamps.split(button.callback_data or "")[0]
        for message in chat.history
        for row in message.keyboard
        for button in row
    ]


async def _forged_inside(chat: Chat, forms: list[tuple[str, str]], a: Tenant) -> list[str]:
    """Press each (A's ids, missing ids) pair at the chat's current step; what went wrong."""
    found: list[str] = []
    for with_a, with_missing in forms:
        theirs = await chat.press_forged(1, with_a)
        missing = await chat.press_forged(1, with_missing)
        found += [f"{with_a}: leaked {s!r}" for s in _leaks(theirs, a.secrets)]
        if _reply_of(theirs) != _reply_of(missing):
            found.append(f"{with_a}: {_reply_of(theirs)} but missing {_reply_of(missing)}")
    return found


async def test_ids_of_tenant_a_inside_tenant_b_conversations(busy_bot: HandlerBot) -> None:
    """The buttons that carry an id in their `value` are pressed where they count: at every
    step of seller B's own shipping document (A's warehouse, A's order line) and of buyer B's
    own return request (A's order line)."""
    uow_factory = busy_bot.uow
    a = await make_tenant(uow_factory, "Aardvark", 8101, 31_000_001)
    b = await make_tenant(uow_factory, "Badger", 8102, 31_000_002)
    async with uow_factory() as uow:
        await lifecycle.confirm_order(b.seller_user, b.pending_order_id, uow)
        await uow.commit()
    owners = {
        "telegram_users": {a.seller_user},
        "conversation_states": {a.seller_user},
        "buyer_subscriptions": {a.buyer_user},
    }
    before = await snapshot(uow_factory, owners)
    missing = str(MISSING_ID)
    shipping = [
        (
            ShippingForm(action=action, value=str(value)).pack(),
            ShippingForm(action=action, value=missing).pack(),
        )
        for action, value in (
            (ShippingFormAction.WAREHOUSE, a.warehouse_id),
            (ShippingFormAction.WAREHOUSE, a.pending_warehouse_id),
            (ShippingFormAction.EDIT_LINE, a.line_ids[0]),
        )
    ]
    seller = Chat(busy_bot, b.seller_user)
    problems: list[str] = []
    steps: list[str | Press] = [
        f"/ship {b.pending_order_number}",
        Press("Continue"),
        Press("Keep"),
        "2",
        "30x20x10",
        Press("✅ Done"),
        Press("Badger Vault"),
    ]
    for step in steps:
        asked = await seller.play(step)
        assert asked.messages, "the shipping document did not go on"
        problems += await _forged_inside(seller, shipping, a)
    assert "Logistics methods compared" in asked.text, asked.text
    # The forged buttons have the real ones' shape: B's own warehouse button is one of them.
    own = ShippingForm(action=ShippingFormAction.WAREHOUSE, value=str(b.warehouse_id)).pack()
    assert own in _drawn(seller)

    buyer = Chat(busy_bot, b.buyer_user)
    returning = [
        (ReturnForm(action=ReturnFormAction.LINE, value=str(line)).pack(),
         ReturnForm(action=ReturnFormAction.LINE, value=missing).pack())
        for line in a.line_ids
    ]  # fmt: skip
    for step in ("/return", Press("Badger shade"), Press("Continue")):
        asked = await buyer.play(step)
        assert asked.messages or asked.popups, "the return request did not go on"
        problems += await _forged_inside(buyer, returning, a)
    assert "What is wrong?" in asked.text, asked.text
    own_line = ReturnForm(action=ReturnFormAction.LINE, value=str(b.line_ids[1])).pack()
    assert own_line in _drawn(buyer)

    assert not problems, "\n".join(problems)
    after = await snapshot(uow_factory, owners)
    assert before == after
