"""The warehouse state machine and input rules, without I/O."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from domain.errors import ConflictError, InvalidInput
from domain.model import DocumentKind, Warehouse, WarehouseDocument, WarehouseKind, WarehouseStatus
from domain.model.warehouses import FIRST_REVISION
from domain.services import warehouses

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
OPERATOR = 42


def _warehouse(
    status: WarehouseStatus,
    kind: WarehouseKind = WarehouseKind.DOMESTIC,
    country: str = "CN",
    documents: tuple[DocumentKind, ...] = (DocumentKind.BUSINESS_LICENCE,),
) -> Warehouse:
    return Warehouse(
        seller_id=1,
        kind=kind,
        name="Main",
        name_key="main",
        country=country,
        street="1 Road",
        city="Shenzhen",
        contact_name="Li",
        contact_phone="+8613800138000",
        capabilities=["shipping"],
        status=status,
        created_at=NOW,
        updated_at=NOW,
        documents=[
            WarehouseDocument(
                kind=kind_,
                telegram_file_id="f",
                file_unique_id="u",
                file_name="a.pdf",
                mime_type="application/pdf",
                size=10,
                uploaded_at=NOW,
            )
            for kind_ in documents
        ],
    )


S = WarehouseStatus
TRANSITIONS = {
    "submit": ({S.DRAFT, S.NEEDS_DOCUMENTS, S.SUSPENDED}, S.PENDING_REVIEW),
    "approve": ({S.PENDING_REVIEW}, S.VERIFIED),
    "reject": ({S.PENDING_REVIEW}, S.REJECTED),
    "request_documents": ({S.PENDING_REVIEW}, S.NEEDS_DOCUMENTS),
    "suspend": ({S.VERIFIED}, S.SUSPENDED),
    "archive": (set(S) - {S.ARCHIVED}, S.ARCHIVED),
}


def _apply(warehouse: Warehouse, transition: str) -> None:
    if transition in ("submit", "archive"):
        getattr(warehouse, transition)(NOW)
    elif transition == "approve":
        warehouse.approve(OPERATOR, NOW)
    else:
        getattr(warehouse, transition)(OPERATOR, "documents are blurry", NOW)


@pytest.mark.parametrize("transition", TRANSITIONS)
@pytest.mark.parametrize("status", list(S))
def test_every_transition_allowed_or_refused(transition: str, status: WarehouseStatus) -> None:
    allowed_from, target = TRANSITIONS[transition]
    warehouse = _warehouse(status)
    if status in allowed_from:
        _apply(warehouse, transition)
        assert warehouse.status == target
        assert warehouse.revision == FIRST_REVISION + 1  # every move is a new revision
    else:
        with pytest.raises(ConflictError):
            _apply(warehouse, transition)
        assert warehouse.status == status
        assert warehouse.revision == FIRST_REVISION


def test_decisions_record_who_and_why() -> None:
    warehouse = _warehouse(S.PENDING_REVIEW)
    warehouse.reject(OPERATOR, "  licence   expired ", NOW)
    assert (warehouse.reviewed_by, warehouse.reviewed_at, warehouse.review_note) == (
        OPERATOR,
        NOW,
        "licence expired",
    )


@pytest.mark.parametrize("transition", ["reject", "request_documents", "suspend"])
def test_a_reason_is_required(transition: str) -> None:
    start = S.VERIFIED if transition == "suspend" else S.PENDING_REVIEW
    warehouse = _warehouse(start)
    with pytest.raises(InvalidInput):
        getattr(warehouse, transition)(OPERATOR, "  ", NOW)
    assert warehouse.status == start


def test_editing_a_verified_warehouse_sends_it_back_to_review() -> None:
    warehouse = _warehouse(S.VERIFIED)
    assert warehouse.edited(NOW) is True
    assert warehouse.status == S.PENDING_REVIEW
    pending = _warehouse(S.NEEDS_DOCUMENTS)
    assert pending.edited(NOW) is False
    assert pending.status == S.NEEDS_DOCUMENTS
    with pytest.raises(ConflictError):
        _warehouse(S.REJECTED).edited(NOW)


def _another_document() -> WarehouseDocument:
    """A document not yet the warehouse's (made as a sample warehouse's is)."""
    return _warehouse(S.DRAFT, documents=(DocumentKind.OTHER,)).documents[0]


def test_every_change_is_a_new_revision_though_the_clock_stands_still() -> None:
    """A field, a document, a move: each counts once, all at one instant, and a card of any
    earlier revision is refused; a refused change counts nothing."""
    warehouse = _warehouse(S.DRAFT)
    assert warehouse.revision == FIRST_REVISION > 0  # 0: what a button naming none carries
    changes: list[Callable[[], object]] = [
        lambda: warehouse.submit(NOW),
        lambda: warehouse.request_documents(OPERATOR, "a lease, please", NOW),
        lambda: warehouse.add_document(_another_document(), NOW, most=10),
        lambda: warehouse.edited(NOW),
        lambda: warehouse.submit(NOW),
        lambda: warehouse.approve(OPERATOR, NOW),
        lambda: warehouse.edited(NOW),  # back to review
        lambda: warehouse.reject(OPERATOR, "not a warehouse", NOW),
        lambda: warehouse.archive(NOW),
    ]
    shown = [warehouse.revision]
    for change in changes:
        change()
        assert warehouse.revision == shown[-1] + 1
        shown.append(warehouse.revision)
    assert warehouse.updated_at == NOW
    warehouse.require_unchanged(shown[-1])
    warehouse.require_unchanged(None)  # no card to compare with
    for earlier in [0, *shown[:-1]]:
        with pytest.raises(ConflictError) as refused:
            warehouse.require_unchanged(earlier)
        assert refused.value.key == "review.warehouse_changed"


def test_a_refused_change_is_no_new_revision() -> None:
    pending = _warehouse(S.PENDING_REVIEW)
    with pytest.raises(InvalidInput):
        pending.reject(OPERATOR, " ", NOW)
    with pytest.raises(ConflictError):
        pending.add_document(_another_document(), NOW, most=10)  # documents were not asked for
    asked = _warehouse(S.NEEDS_DOCUMENTS)
    with pytest.raises(InvalidInput) as too_many:
        asked.add_document(_another_document(), NOW, most=1)
    assert too_many.value.params == {"max": 1}
    assert (pending.revision, asked.revision) == (FIRST_REVISION, FIRST_REVISION)
    assert len(asked.documents) == 1


def test_submit_needs_the_documents() -> None:
    with pytest.raises(InvalidInput):
        _warehouse(S.DRAFT, documents=()).submit(NOW)
    overseas = _warehouse(
        S.DRAFT, WarehouseKind.OVERSEAS, "DE", documents=(DocumentKind.BUSINESS_LICENCE,)
    )
    assert overseas.missing_documents() == ["premises", "customs_vat"]
    us = _warehouse(
        S.DRAFT,
        WarehouseKind.OVERSEAS,
        "US",
        documents=(DocumentKind.BUSINESS_LICENCE, DocumentKind.THIRD_PARTY_AGREEMENT),
    )
    assert us.missing_documents() == []


def test_documents_asked_for_need_one_more_before_review_again() -> None:
    warehouse = _warehouse(S.PENDING_REVIEW)
    warehouse.request_documents(OPERATOR, "the signed lease, please", NOW)
    with pytest.raises(InvalidInput) as refused:
        warehouse.submit(NOW)
    assert refused.value.key == "warehouse.no_new_documents"
    assert warehouse.status == S.NEEDS_DOCUMENTS
    warehouse.add_document(_another_document(), NOW, most=10)
    warehouse.submit(NOW)
    assert (warehouse.status, warehouse.documents_at_request) == (S.PENDING_REVIEW, None)
    # Asked before the count was kept (None): not held to it.
    earlier = _warehouse(S.NEEDS_DOCUMENTS)
    earlier.submit(NOW)
    assert earlier.status == S.PENDING_REVIEW


def test_only_verified_shipping_warehouses_can_ship() -> None:
    assert _warehouse(S.VERIFIED).can_ship
    assert not _warehouse(S.PENDING_REVIEW).can_ship
    packing_only = _warehouse(S.VERIFIED)
    packing_only.capabilities = ["packing"]
    assert not packing_only.can_ship


def test_country_rules() -> None:
    assert warehouses.check_country(WarehouseKind.DOMESTIC, "cn", "CN") == "CN"
    with pytest.raises(InvalidInput) as domestic:
        warehouses.check_country(WarehouseKind.DOMESTIC, "DE", "CN")
    assert domestic.value.key == "warehouse.domestic_outside_home"
    with pytest.raises(InvalidInput) as overseas:
        warehouses.check_country(WarehouseKind.OVERSEAS, "CN", "CN")
    assert overseas.value.key == "warehouse.overseas_in_home"


def test_postcode_phone_and_document_checks() -> None:
    assert warehouses.clean_postcode("DE", "10117") == "10117"
    with pytest.raises(InvalidInput):
        warehouses.clean_postcode("DE", "1011")
    assert warehouses.clean_postcode("HK", "-") is None  # Hong Kong has no postcodes
    assert warehouses.clean_phone("030 1234567", "DE") == "+49301234567"
    with pytest.raises(InvalidInput):
        warehouses.clean_phone("12", "DE")
    warehouses.check_document("licence.pdf", "application/pdf", 1000)
    with pytest.raises(InvalidInput):
        warehouses.check_document("setup.exe", "application/x-msdownload", 1000)
    with pytest.raises(InvalidInput):
        warehouses.check_document("fake.pdf", "application/x-msdownload", 1000)
    with pytest.raises(InvalidInput):
        warehouses.check_document("big.pdf", "application/pdf", 25 * 1024 * 1024)


def test_capabilities() -> None:
    assert warehouses.check_capabilities(WarehouseKind.OVERSEAS, ["local_returns", "sorting"]) == [
        "sorting",
        "local_returns",
    ]
    with pytest.raises(InvalidInput):
        warehouses.check_capabilities(WarehouseKind.DOMESTIC, ["local_returns"])
    with pytest.raises(InvalidInput):
        warehouses.check_capabilities(WarehouseKind.DOMESTIC, [])
