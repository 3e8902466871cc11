"""Warehouse registration: kind -> name -> country -> address -> contact -> capabilities ->
certification documents -> summary (edit any part) -> submit for review.

Answers live in the FSM data (in the database), so a restart resumes at the same step; the
warehouse itself is created only on submit, in the same transaction that clears the state.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, User

from domain.errors import InvalidInput
from domain.model import Capability, DocumentKind, WarehouseKind
from domain.model.warehouses import PREMISES_DOCUMENTS, missing_documents
from domain.services import warehouses
from domain.unit_of_work import UnitOfWork
from handlers.callbacks import CountryChoice, WarehouseForm, WarehouseFormAction
from handlers.config import HandlerConfig
from handlers.keyboards import country_buttons, country_from_text, navigation_row
from handlers.responder import Button, Keyboard, Responder


class WarehouseRegistration(StatesGroup):
    kind = State()
    name = State()
    country = State()
    street = State()
    city = State()
    region = State()
    postcode = State()
    contact_name = State()
    phone = State()
    capabilities = State()
    documents = State()
    summary = State()


W = WarehouseRegistration
STEPS: list[State] = [
    W.kind, W.name, W.country, W.street, W.city, W.region, W.postcode,
    W.contact_name, W.phone, W.capabilities, W.documents, W.summary,
]  # fmt: skip
# What the summary's edit buttons revisit; the summary comes back after the group's last step.
EDIT_GROUPS: dict[str, list[State]] = {
    "kind": [
        W.kind,
        W.country,
        W.street,
        W.city,
        W.region,
        W.postcode,
        W.capabilities,
        W.documents,
    ],
    "name": [W.name],
    "country": [W.country, W.street, W.city, W.region, W.postcode],
    "address": [W.street, W.city, W.region, W.postcode],
    "contact": [W.contact_name, W.phone],
    "capabilities": [W.capabilities],
    "documents": [W.documents],
}
# Where semi-managed sellers most often keep overseas stock; any other country can be typed.
COMMON_OVERSEAS_COUNTRIES = ("US", "DE", "GB", "FR", "ES", "PL", "BR", "RU", "KR")
TEXT_STEPS = {W.name, W.street, W.city, W.region, W.postcode, W.contact_name, W.phone}


def _form(action: WarehouseFormAction, value: str = "") -> WarehouseForm:
    return WarehouseForm(action=action, value=value)


def _navigation(step: State) -> list[Button]:
    back = None if step == W.kind else _form(WarehouseFormAction.BACK)
    return navigation_row(_form(WarehouseFormAction.CANCEL), back)


def _documents(data: dict[str, Any]) -> list[warehouses.UploadedDocument]:
    return [warehouses.UploadedDocument.from_data(d) for d in data.get("documents", [])]


def _missing(data: dict[str, Any]) -> list[str]:
    return missing_documents(
        WarehouseKind(data["kind"]), data["country"], [d.kind for d in _documents(data)]
    )


def _prompt(step: State, data: dict[str, Any], responder: Responder) -> None:
    """Ask for what `step` needs."""
    name = step.state.split(":")[1] if step.state else ""
    navigation = _navigation(step)
    if step == W.kind:
        responder.reply(
            "warehouse.ask_kind",
            keyboard=[
                [
                    Button(
                        label="warehouse.kind_domestic",
                        callback=_form(WarehouseFormAction.KIND, "domestic"),
                    )
                ],
                [
                    Button(
                        label="warehouse.kind_overseas",
                        callback=_form(WarehouseFormAction.KIND, "overseas"),
                    )
                ],
                navigation,
            ],
        )
    elif step == W.country:
        if data["kind"] == WarehouseKind.DOMESTIC:
            codes = [data["home_country"]]
        else:
            codes = [c for c in COMMON_OVERSEAS_COUNTRIES if c != data["home_country"]]
        countries = country_buttons(responder.renderer, responder.locale, codes)
        responder.reply(
            "warehouse.ask_country",
            kind=data["kind"],
            home=data["home_country"],
            keyboard=[*countries, navigation],
        )
    elif step in (W.region, W.postcode):
        optional = step == W.region or not warehouses.postcode_required(data["country"])
        skip: Keyboard = (
            [[Button(label="warehouse.skip", callback=_form(WarehouseFormAction.SKIP))]]
            if optional
            else []
        )
        responder.reply(
            f"warehouse.ask_{name}",
            country=data["country"],
            optional=optional,
            keyboard=[*skip, navigation],
        )
    elif step in TEXT_STEPS:
        responder.reply(
            f"warehouse.ask_{name}", country=data.get("country", ""), keyboard=[navigation]
        )
    elif step == W.capabilities:
        chosen = set(data.get("capabilities", []))
        options = [
            c
            for c in Capability
            if data["kind"] == WarehouseKind.OVERSEAS or c != Capability.LOCAL_RETURNS
        ]
        rows: Keyboard = [
            [
                Button(
                    label="warehouse.capability_on"
                    if option.value in chosen
                    else "warehouse.capability_off",
                    params={"name": responder.label(f"capability.{option.value}")},
                    callback=_form(WarehouseFormAction.TOGGLE_CAPABILITY, option.value),
                )
            ]
            for option in options
        ]
        done = [
            Button(
                label="warehouse.capabilities_done",
                callback=_form(WarehouseFormAction.CAPABILITIES_DONE),
            )
        ]
        responder.reply("warehouse.ask_capabilities", keyboard=[*rows, done, navigation])
    elif step == W.documents:
        _prompt_documents(data, responder, navigation)
    else:
        _summary(data, responder)


def _prompt_documents(data: dict[str, Any], responder: Responder, navigation: list[Button]) -> None:
    missing = _missing(data)
    uploaded = [d.file_name for d in _documents(data)]
    if not missing:
        done = [
            Button(
                label="warehouse.documents_done", callback=_form(WarehouseFormAction.DOCUMENTS_DONE)
            )
        ]
        responder.reply(
            "warehouse.documents_complete", uploaded=uploaded, keyboard=[done, navigation]
        )
        return
    wanted = missing[0]
    if wanted == "premises" and data.get("document_kind") not in {
        k.value for k in PREMISES_DOCUMENTS
    }:
        kinds = [
            [
                Button(
                    label=f"document.{kind.value}",
                    callback=_form(WarehouseFormAction.DOCUMENT_KIND, kind.value),
                )
            ]
            for kind in sorted(PREMISES_DOCUMENTS)
        ]
        responder.reply(
            "warehouse.ask_premises_kind", uploaded=uploaded, keyboard=[*kinds, navigation]
        )
        return
    kind = data["document_kind"] if wanted == "premises" else wanted
    responder.reply(
        "warehouse.ask_document",
        document=responder.label(f"document.{kind}"),
        uploaded=uploaded,
        max_mb=warehouses.MAX_DOCUMENT_BYTES // 2**20,
        keyboard=[navigation],
    )


def _summary(data: dict[str, Any], responder: Responder) -> None:
    def edit(target: str, label: str) -> Button:
        return Button(label=label, callback=_form(WarehouseFormAction.EDIT, target))

    responder.reply(
        "warehouse.summary",
        data=data,
        documents=[
            (responder.label(f"document.{d.kind.value}"), d.file_name) for d in _documents(data)
        ],
        capabilities=[responder.label(f"capability.{c}") for c in data["capabilities"]],
        keyboard=[
            [Button(label="warehouse.submit", callback=_form(WarehouseFormAction.SUBMIT))],
            [edit("kind", "warehouse.edit_kind"), edit("name", "warehouse.edit_name")],
            [edit("country", "warehouse.edit_country"), edit("address", "warehouse.edit_address")],
            [
                edit("contact", "warehouse.edit_contact"),
                edit("capabilities", "warehouse.edit_capabilities"),
            ],
            [
                edit("documents", "warehouse.edit_documents"),
                Button(label="common.cancel", callback=_form(WarehouseFormAction.CANCEL)),
            ],
        ],
    )


async def _advance(
    state: FSMContext, responder: Responder, answered: State, **changes: Any
) -> None:
    """Store an answer and ask the next question (or show the summary after an edit)."""
    data = await state.update_data(**changes)
    group = EDIT_GROUPS.get(data.get("editing") or "")
    if group and answered in group and answered != group[-1]:
        step = group[group.index(answered) + 1]
    elif group:
        step = W.summary
        data = await state.update_data(editing=None)
    else:
        step = STEPS[STEPS.index(answered) + 1]
    await state.set_state(step)
    _prompt(step, data, responder)


async def _current(state: FSMContext) -> State:
    raw = await state.get_state()
    return next(step for step in STEPS if step.state == raw)


async def begin(state: FSMContext, responder: Responder, home_country: str) -> None:
    await state.set_state(W.kind)
    await state.set_data({"home_country": home_country, "capabilities": [], "documents": []})
    _prompt(W.kind, await state.get_data(), responder)


# ----- buttons -----


async def cancel(query: CallbackQuery, state: FSMContext, responder: Responder) -> None:
    await state.clear()
    if query.message is not None:
        responder.remove_buttons(query.message.message_id)
    responder.reply("cancel.done")


async def back(query: CallbackQuery, state: FSMContext, responder: Responder) -> None:
    current = await _current(state)
    step = STEPS[max(STEPS.index(current) - 1, 0)]
    data = await state.update_data(editing=None)
    await state.set_state(step)
    _prompt(step, data, responder)


async def kind_chosen(
    query: CallbackQuery, callback_data: WarehouseForm, state: FSMContext, responder: Responder
) -> None:
    if callback_data.value not in {k.value for k in WarehouseKind}:
        raise InvalidInput("errors.invalid_choice")
    data = await state.get_data()
    changes: dict[str, Any] = {"kind": callback_data.value}
    if data.get("kind") != callback_data.value:
        # Another kind has other country and document rules: those answers start over.
        changes.update(country=None, documents=[], capabilities=[], document_kind=None)
    await _advance(state, responder, W.kind, **changes)


async def _accept_country(code: str, state: FSMContext, responder: Responder) -> None:
    data = await state.get_data()
    country = warehouses.check_country(WarehouseKind(data["kind"]), code, data["home_country"])
    changes: dict[str, Any] = {"country": country}
    if data.get("country") not in (None, country):
        changes["documents"] = [
            d for d in data.get("documents", []) if d["kind"] != DocumentKind.CUSTOMS_VAT
        ]
    await _advance(state, responder, W.country, **changes)


async def country_pressed(
    query: CallbackQuery, callback_data: CountryChoice, state: FSMContext, responder: Responder
) -> None:
    await _accept_country(callback_data.code, state, responder)


async def country_typed(message: Message, state: FSMContext, responder: Responder) -> None:
    assert message.text is not None
    country = country_from_text(message.text, responder, _navigation(W.country))
    if country is not None:
        await _accept_country(country, state, responder)


TEXT_FIELDS = {
    W.name.state: ("name", warehouses.clean_name),
    W.street.state: ("street", warehouses.clean_street),
    W.city.state: ("city", warehouses.clean_city),
    W.region.state: ("region", warehouses.clean_region),
    W.contact_name.state: ("contact_name", warehouses.clean_contact_name),
}


async def text_answer(message: Message, state: FSMContext, responder: Responder) -> None:
    assert message.text is not None
    step = await _current(state)
    key, clean = TEXT_FIELDS[step.state or ""]
    await _advance(state, responder, step, **{key: clean(message.text)})


async def postcode_answer(message: Message, state: FSMContext, responder: Responder) -> None:
    assert message.text is not None
    data = await state.get_data()
    postcode = warehouses.clean_postcode(data["country"], message.text)
    await _advance(state, responder, W.postcode, postcode=postcode)


async def skipped(query: CallbackQuery, state: FSMContext, responder: Responder) -> None:
    step = await _current(state)
    data = await state.get_data()
    if step == W.postcode and warehouses.postcode_required(data["country"]):
        raise InvalidInput("warehouse.postcode_invalid", example="—")
    await _advance(state, responder, step, **{"region" if step == W.region else "postcode": None})


async def phone_answer(message: Message, state: FSMContext, responder: Responder) -> None:
    assert message.text is not None
    data = await state.get_data()
    await _advance(
        state, responder, W.phone, phone=warehouses.clean_phone(message.text, data["country"])
    )


async def capability_toggled(
    query: CallbackQuery, callback_data: WarehouseForm, state: FSMContext, responder: Responder
) -> None:
    data = await state.get_data()
    chosen = set(data.get("capabilities", [])) ^ {callback_data.value}
    warehouses.check_capabilities(
        WarehouseKind(data["kind"]), sorted(chosen) or [Capability.SHIPPING.value]
    )
    data = await state.update_data(capabilities=sorted(chosen))
    _prompt(W.capabilities, data, responder)


async def capabilities_done(query: CallbackQuery, state: FSMContext, responder: Responder) -> None:
    data = await state.get_data()
    kind = WarehouseKind(data["kind"])
    chosen = warehouses.check_capabilities(kind, data.get("capabilities", []))
    await _advance(state, responder, W.capabilities, capabilities=chosen)


async def document_kind_chosen(
    query: CallbackQuery, callback_data: WarehouseForm, state: FSMContext, responder: Responder
) -> None:
    if callback_data.value not in {k.value for k in PREMISES_DOCUMENTS}:
        raise InvalidInput("errors.invalid_choice")
    data = await state.update_data(document_kind=callback_data.value)
    _prompt_documents(data, responder, _navigation(W.documents))


def uploaded_document(message: Message, kind: DocumentKind) -> warehouses.UploadedDocument:
    """Read a document or photo message; the type and size are checked before anything is kept."""
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram made
        warehouses.check_document("photo.jpg", "image/jpeg", photo.file_size)
        return warehouses.UploadedDocument(
            kind=kind,
            telegram_file_id=photo.file_id,
            file_unique_id=photo.file_unique_id,
            file_name="photo.jpg",
            mime_type="image/jpeg",
            size=photo.file_size or 0,
            is_photo=True,
        )
    document = message.document
    assert document is not None
    warehouses.check_document(document.file_name, document.mime_type, document.file_size)
    return warehouses.UploadedDocument(
        kind=kind,
        telegram_file_id=document.file_id,
        file_unique_id=document.file_unique_id,
        file_name=document.file_name or "document",
        mime_type=(document.mime_type or "").lower(),
        size=document.file_size or 0,
    )


async def document_uploaded(message: Message, state: FSMContext, responder: Responder) -> None:
    data = await state.get_data()
    missing = _missing(data)
    if missing and missing[0] == "premises":
        if data.get("document_kind") not in {k.value for k in PREMISES_DOCUMENTS}:
            raise InvalidInput("warehouse.choose_document_kind")
        kind = DocumentKind(data["document_kind"])
    elif missing:
        kind = DocumentKind(missing[0])
    else:
        kind = DocumentKind.OTHER
    documents = data.get("documents", [])
    if len(documents) >= warehouses.MAX_DOCUMENTS:
        raise InvalidInput("warehouse.too_many_documents", max=warehouses.MAX_DOCUMENTS)
    document = uploaded_document(message, kind)
    data = await state.update_data(documents=[*documents, document.to_data()], document_kind=None)
    responder.reply(
        "warehouse.document_received",
        document=responder.label(f"document.{kind.value}"),
        file_name=document.file_name,
    )
    _prompt_documents(data, responder, _navigation(W.documents))


async def documents_done(query: CallbackQuery, state: FSMContext, responder: Responder) -> None:
    data = await state.get_data()
    if _missing(data):
        raise InvalidInput("warehouse.documents_missing")
    await _advance(state, responder, W.documents)


async def edit_part(
    query: CallbackQuery, callback_data: WarehouseForm, state: FSMContext, responder: Responder
) -> None:
    group = EDIT_GROUPS.get(callback_data.value)
    if group is None:
        raise InvalidInput("errors.invalid_choice")
    data = await state.update_data(editing=callback_data.value)
    await state.set_state(group[0])
    _prompt(group[0], data, responder)


async def submit(
    query: CallbackQuery,
    event_from_user: User,
    state: FSMContext,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    data = await state.get_data()
    warehouse = await warehouses.register_warehouse(
        warehouses.RegisterWarehouse(
            telegram_user_id=event_from_user.id,
            kind=WarehouseKind(data["kind"]),
            name=data["name"],
            country=data["country"],
            street=data["street"],
            city=data["city"],
            region=data.get("region"),
            postcode=data.get("postcode"),
            contact_name=data["contact_name"],
            contact_phone=data["phone"],
            capabilities=data["capabilities"],
            documents=_documents(data),
        ),
        config.operator_ids,
        uow,
    )
    await state.clear()
    if query.message is not None:
        responder.remove_buttons(query.message.message_id)
    responder.reply("warehouse.submitted", name=warehouse.name)


# ----- anything else while in the conversation -----


async def expecting_text(message: Message, responder: Responder) -> None:
    responder.reply("conversation.expecting_text")


async def expecting_document(message: Message, responder: Responder) -> None:
    responder.reply("warehouse.expecting_document", max_mb=warehouses.MAX_DOCUMENT_BYTES // 2**20)


async def expecting_button(message: Message, state: FSMContext, responder: Responder) -> None:
    responder.reply("conversation.use_buttons")
    _prompt(await _current(state), await state.get_data(), responder)


async def resume(state: FSMContext, responder: Responder) -> bool:
    raw = await state.get_state()
    for step in STEPS:
        if step.state == raw:
            responder.reply("conversation.resumed")
            _prompt(step, await state.get_data(), responder)
            return True
    return False


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.callback_query.register(
        cancel, StateFilter(W), WarehouseForm.filter(F.action == WarehouseFormAction.CANCEL)
    )
    router.callback_query.register(
        back, StateFilter(W), WarehouseForm.filter(F.action == WarehouseFormAction.BACK)
    )
    router.callback_query.register(
        kind_chosen, W.kind, WarehouseForm.filter(F.action == WarehouseFormAction.KIND)
    )
    router.callback_query.register(country_pressed, W.country, CountryChoice.filter())
    router.message.register(country_typed, W.country, F.text)
    router.message.register(
        text_answer, StateFilter(W.name, W.street, W.city, W.region, W.contact_name), F.text
    )
    router.message.register(postcode_answer, W.postcode, F.text)
    router.callback_query.register(
        skipped,
        StateFilter(W.region, W.postcode),
        WarehouseForm.filter(F.action == WarehouseFormAction.SKIP),
    )
    router.message.register(phone_answer, W.phone, F.text)
    router.callback_query.register(
        capability_toggled,
        W.capabilities,
        WarehouseForm.filter(F.action == WarehouseFormAction.TOGGLE_CAPABILITY),
    )
    router.callback_query.register(
        capabilities_done,
        W.capabilities,
        WarehouseForm.filter(F.action == WarehouseFormAction.CAPABILITIES_DONE),
    )
    router.callback_query.register(
        document_kind_chosen,
        W.documents,
        WarehouseForm.filter(F.action == WarehouseFormAction.DOCUMENT_KIND),
    )
    router.message.register(document_uploaded, W.documents, F.document | F.photo)
    router.callback_query.register(
        documents_done,
        W.documents,
        WarehouseForm.filter(F.action == WarehouseFormAction.DOCUMENTS_DONE),
    )
    router.callback_query.register(
        edit_part, W.summary, WarehouseForm.filter(F.action == WarehouseFormAction.EDIT)
    )
    router.callback_query.register(
        submit, W.summary, WarehouseForm.filter(F.action == WarehouseFormAction.SUBMIT)
    )
    router.message.register(expecting_text, StateFilter(*TEXT_STEPS, W.country))
    router.message.register(expecting_document, W.documents)
    router.message.register(expecting_button, StateFilter(W.kind, W.capabilities, W.summary))
    return router
