"""Warehouse registration: kind -> name -> country -> address -> contact -> capabilities ->
certification documents -> summary (edit any part) -> submit for review.

Declared on the conversation engine (`handlers.conversations`); the rules (what a new kind or
country resets, which capabilities and documents apply) are on `domain.drafts.WarehouseDraft`.
The warehouse itself is created only on submit, in the transaction that ends the conversation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from aiogram import F, Router
from aiogram.types import Message

from domain.drafts import WarehouseDraft
from domain.model import WarehouseKind
from domain.model.warehouses import PREMISES_DOCUMENTS
from domain.services import warehouses
from handlers.callbacks import WarehouseForm, WarehouseFormAction
from handlers.context import UpdateContext
from handlers.conversations import Conversation, FormControls, Move, Step, Turn, conversation_router
from handlers.conversations.countries import country_step
from handlers.conversations.routing import entry
from handlers.responder import Button, Keyboard
from handlers.seller.warehouse_documents import MAX_MB, receive_document

# Where semi-managed sellers most often keep overseas stock; any other country can be typed.
COMMON_OVERSEAS_COUNTRIES = ("US", "DE", "GB", "FR", "ES", "PL", "BR", "RU", "KR")
ADDRESS = ["street", "city", "region", "postcode"]
KEEP = "keep"  # the Skip button's value that keeps an optional answer already given
WarehouseTurn = Turn[WarehouseDraft]


CONTROLS = FormControls.of(WarehouseForm)


# ----- answers -----


async def kind_chosen(
    turn: WarehouseTurn, draft: WarehouseDraft, callback_data: WarehouseForm
) -> None:
    chosen = draft.with_kind(callback_data.value)
    # The same kind again resets nothing: the edit has nothing more to ask.
    await turn.advance(chosen, edit_done=chosen == draft)


async def name_typed(turn: WarehouseTurn, draft: WarehouseDraft, text: str) -> None:
    seller = await warehouses.seller_of(turn.ctx.user_id, turn.ctx.uow)
    await turn.advance(draft.with_name(await warehouses.free_name(seller.id, text, turn.ctx.uow)))


async def skipped(turn: WarehouseTurn, draft: WarehouseDraft, callback_data: WarehouseForm) -> None:
    """⏭ on an optional answer: "keep" keeps the one already given, else none is given."""
    if callback_data.value == KEEP:
        await turn.advance(draft)
    elif turn.step.name == "region":
        await turn.advance(draft.with_region(None))
    else:
        await turn.advance(draft.with_postcode(None))


async def capability_toggled(
    turn: WarehouseTurn, draft: WarehouseDraft, callback_data: WarehouseForm
) -> None:
    await turn.stay(draft.toggle_capability(callback_data.value))


async def capabilities_done(turn: WarehouseTurn, draft: WarehouseDraft, callback_data: Any) -> None:
    await turn.advance(draft.finish_capabilities())


async def document_kind_chosen(
    turn: WarehouseTurn, draft: WarehouseDraft, callback_data: WarehouseForm
) -> None:
    await turn.stay(draft.choose_premises_kind(callback_data.value))


async def document_uploaded(turn: WarehouseTurn, draft: WarehouseDraft, message: Message) -> None:
    file_steps = turn.extra["file_steps"]
    await receive_document(message, draft.next_document_kind(), turn.ctx, file_steps, _keep)


async def _keep(document: warehouses.UploadedDocument, ctx: UpdateContext) -> None:
    """The rest of `document_uploaded` once the file may be kept (for a file, after its check,
    in a transaction of its own: the draft is read again, as it is now)."""
    turn = WarehouseTurn(CONVERSATION, ctx)
    if not await turn.load() or turn.step.name != "documents":
        return  # the seller went on meanwhile (Back, Continue, Cancel): not a file for here now
    draft = await turn.draft()
    # Files sent together are checked side by side; each takes the place next in line as it
    # arrives, so none is taken for a document already there.
    kind = draft.next_document_kind()
    await turn.save(draft.with_document(replace(document, kind=kind)))
    ctx.responder.reply(
        "warehouse.document_received",
        document=ctx.responder.label(f"document.{kind.value}"),
        file_name=document.file_name,
    )
    await turn.ask()


async def documents_done(turn: WarehouseTurn, draft: WarehouseDraft, callback_data: Any) -> None:
    await turn.advance(draft.finish_documents())


async def submit(turn: WarehouseTurn, draft: WarehouseDraft, callback_data: Any) -> None:
    warehouse = await warehouses.register_warehouse(
        draft.command(turn.ctx.user_id), turn.ctx.config.operator_ids, turn.ctx.uow
    )
    await turn.finish()
    turn.ctx.responder.reply("warehouse.submitted", name=warehouse.name)


# ----- questions -----


def _kinds(turn: WarehouseTurn, draft: WarehouseDraft) -> Keyboard:
    return [
        [
            Button(
                label=f"warehouse.kind_{kind.value}",
                callback=CONTROLS.data(WarehouseFormAction.KIND, kind.value),
            )
        ]
        for kind in (WarehouseKind.DOMESTIC, WarehouseKind.OVERSEAS)
    ]


def _offered_countries(draft: WarehouseDraft) -> list[str]:
    if draft.kind == WarehouseKind.DOMESTIC:
        return [draft.home_country]
    return [c for c in COMMON_OVERSEAS_COUNTRIES if c != draft.home_country]


def _skip(turn: WarehouseTurn, draft: WarehouseDraft) -> Keyboard:
    """Skip; where an answer is already there (asked again by Back or an edit), Keep it or
    leave it empty, so skipping never drops it unseen."""
    optional = _optional(turn, draft)
    current = draft.region if turn.step.name == "region" else draft.postcode
    if current is None:
        return (
            CONTROLS.single_button("warehouse.skip", WarehouseFormAction.SKIP) if optional else []
        )
    keep = CONTROLS.button(
        "warehouse.keep_answer", WarehouseFormAction.SKIP, KEEP, answer=current[:32]
    )
    empty = CONTROLS.button("warehouse.leave_empty", WarehouseFormAction.SKIP)
    return [[keep, empty] if optional else [keep]]


def _optional(turn: WarehouseTurn, draft: WarehouseDraft) -> bool:
    return turn.step.name != "postcode" or draft.postcode_optional


def _capabilities(turn: WarehouseTurn, draft: WarehouseDraft) -> Keyboard:
    chosen = set(draft.capabilities)
    rows: list[list[Button]] = [
        [
            Button(
                label="warehouse.capability_on"
                if option.value in chosen
                else "warehouse.capability_off",
                params={"name": turn.ctx.responder.label(f"capability.{option.value}")},
                callback=CONTROLS.data(WarehouseFormAction.TOGGLE_CAPABILITY, option.value),
            )
        ]
        for option in draft.capability_options()
    ]
    done = Button(
        label="warehouse.capabilities_done",
        callback=CONTROLS.data(WarehouseFormAction.CAPABILITIES_DONE),
    )
    return [*rows, [done]]


def _ask_documents(turn: WarehouseTurn, draft: WarehouseDraft) -> None:
    responder, navigation = turn.ctx.responder, turn.navigation
    uploaded = [d.file_name for d in draft.documents]
    wanted = draft.wanted_document()
    if not draft.missing_documents():
        done = Button(
            label="warehouse.documents_done",
            callback=CONTROLS.data(WarehouseFormAction.DOCUMENTS_DONE),
        )
        responder.reply(
            "warehouse.documents_complete", uploaded=uploaded, keyboard=[[done], navigation]
        )
    elif draft.needs_premises_kind:
        kinds = [
            [
                Button(
                    label=f"document.{kind.value}",
                    callback=CONTROLS.data(WarehouseFormAction.DOCUMENT_KIND, kind.value),
                )
            ]
            for kind in sorted(PREMISES_DOCUMENTS)
        ]
        responder.reply(
            "warehouse.ask_premises_kind", uploaded=uploaded, keyboard=[*kinds, navigation]
        )
    else:
        assert wanted is not None
        responder.reply(
            "warehouse.ask_document",
            document=responder.label(f"document.{wanted.value}"),
            uploaded=uploaded,
            max_mb=MAX_MB,
            keyboard=[navigation],
        )


def _summary(turn: WarehouseTurn, draft: WarehouseDraft) -> None:
    responder = turn.ctx.responder

    def edit(target: str) -> Button:
        return Button(label=f"warehouse.edit_{target}", callback=CONTROLS.pack(Move.EDIT, target))

    responder.reply(
        "warehouse.summary",
        data=draft.to_data(),
        documents=[
            (responder.label(f"document.{d.kind.value}"), d.file_name) for d in draft.documents
        ],
        capabilities=[responder.label(f"capability.{c}") for c in draft.capabilities],
        keyboard=[
            [Button(label="warehouse.submit", callback=CONTROLS.data(WarehouseFormAction.SUBMIT))],
            [edit("kind"), edit("name")],
            [edit("country"), edit("address")],
            [edit("contact"), edit("capabilities")],
            [
                edit("documents"),
                Button(label="common.cancel", callback=CONTROLS.pack(Move.CANCEL, "")),
            ],
        ],
    )


def _text_step(
    name: str, parse: Callable[[WarehouseDraft, str], WarehouseDraft]
) -> Step[WarehouseDraft]:
    def params(turn: WarehouseTurn, draft: WarehouseDraft) -> Mapping[str, Any]:
        return {"country": draft.country or ""}

    return Step(name, prompt=f"warehouse.ask_{name}", params=params, parse=parse)


def _optional_step(
    name: str, parse: Callable[[WarehouseDraft, str], WarehouseDraft]
) -> Step[WarehouseDraft]:
    def params(turn: WarehouseTurn, draft: WarehouseDraft) -> Mapping[str, Any]:
        return {"country": draft.country, "optional": _optional(turn, draft)}

    return Step(
        name,
        prompt=f"warehouse.ask_{name}",
        params=params,
        keyboard=_skip,
        parse=parse,
        presses=[CONTROLS.press(WarehouseFormAction.SKIP, skipped)],
    )


CONVERSATION: Conversation[WarehouseDraft] = Conversation(
    name="warehouse_registration",
    state_group="WarehouseRegistration",
    draft=WarehouseDraft.from_data,
    controls=CONTROLS,
    edits={
        "kind": ["kind", "country", *ADDRESS, "capabilities", "documents"],
        "name": ["name"],
        "country": ["country", *ADDRESS],
        "address": ADDRESS,
        "contact": ["contact_name", "phone"],
        "capabilities": ["capabilities"],
        "documents": ["documents"],
    },
    steps=[
        Step(
            "kind",
            prompt="warehouse.ask_kind",
            keyboard=_kinds,
            presses=[CONTROLS.press(WarehouseFormAction.KIND, kind_chosen)],
        ),
        # A name another of the seller's warehouses has is refused as it is typed.
        Step("name", prompt="warehouse.ask_name", on_text=name_typed),
        country_step(
            "warehouse.ask_country",
            _offered_countries,
            WarehouseDraft.with_country,
            params=lambda turn, draft: {"kind": draft.kind, "home": draft.home_country},
            served_only=True,
        ),
        _text_step("street", WarehouseDraft.with_street),
        _text_step("city", WarehouseDraft.with_city),
        _optional_step("region", WarehouseDraft.with_region),
        _optional_step("postcode", WarehouseDraft.with_postcode),
        _text_step("contact_name", WarehouseDraft.with_contact_name),
        _text_step("phone", WarehouseDraft.with_phone),
        Step(
            "capabilities",
            prompt="warehouse.ask_capabilities",
            keyboard=_capabilities,
            presses=[
                CONTROLS.press(WarehouseFormAction.TOGGLE_CAPABILITY, capability_toggled),
                CONTROLS.press(WarehouseFormAction.CAPABILITIES_DONE, capabilities_done),
            ],
        ),
        Step(
            "documents",
            ask=_ask_documents,
            on_file=document_uploaded,
            file_filter=F.document | F.photo,
            presses=[
                CONTROLS.press(WarehouseFormAction.DOCUMENT_KIND, document_kind_chosen),
                CONTROLS.press(WarehouseFormAction.DOCUMENTS_DONE, documents_done),
            ],
            reminder="warehouse.expecting_document",
            reminder_params={"max_mb": MAX_MB},
        ),
        Step(
            "summary",
            ask=_summary,
            presses=[CONTROLS.press(WarehouseFormAction.SUBMIT, submit)],
        ),
    ],
)


async def _first_draft(turn: WarehouseTurn, event: Any) -> WarehouseDraft:
    """Only a registered seller has warehouses."""
    seller = await warehouses.seller_of(turn.ctx.user_id, turn.ctx.uow)
    return WarehouseDraft(home_country=seller.home_country)


# The warehouse list's "Add" button (`handlers.seller.warehouses`).
begin = entry(CONVERSATION, _first_draft)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    return conversation_router(__name__, CONVERSATION)
