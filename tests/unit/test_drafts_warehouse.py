"""The warehouse registration's rules, on its draft: what applies, what a change resets."""

from __future__ import annotations

import pytest

from domain.drafts import WarehouseDraft
from domain.errors import InvalidInput
from domain.model import Capability, DocumentKind, WarehouseKind
from domain.services import warehouses


def _document(kind: DocumentKind, name: str = "licence.pdf") -> warehouses.UploadedDocument:
    return warehouses.UploadedDocument(
        kind=kind,
        telegram_file_id=f"file-{name}",
        file_unique_id=f"unique-{name}",
        file_name=name,
        mime_type="application/pdf",
        size=1000,
    )


def _overseas_in_germany() -> WarehouseDraft:
    return WarehouseDraft(home_country="CN").with_kind("overseas").with_country("DE")


def test_local_returns_are_offered_only_for_overseas_warehouses() -> None:
    domestic = WarehouseDraft(home_country="CN").with_kind("domestic")
    assert Capability.LOCAL_RETURNS not in domestic.capability_options()
    assert Capability.LOCAL_RETURNS in _overseas_in_germany().capability_options()
    with pytest.raises(InvalidInput):
        domestic.toggle_capability(Capability.LOCAL_RETURNS.value)


def test_capabilities_toggle_and_at_least_one_is_needed_to_go_on() -> None:
    draft = _overseas_in_germany().toggle_capability("shipping").toggle_capability("packing")
    assert draft.capabilities == ("packing", "shipping")
    draft = draft.toggle_capability("packing").toggle_capability("shipping")
    assert draft.capabilities == ()
    with pytest.raises(InvalidInput) as refused:
        draft.finish_capabilities()
    assert refused.value.key == "warehouse.capabilities_required"


def test_changing_the_kind_starts_the_kind_dependent_answers_over() -> None:
    draft = (
        _overseas_in_germany()
        .with_name("Berlin hub")
        .toggle_capability("local_returns")
        .with_document(_document(DocumentKind.BUSINESS_LICENCE))
    )
    same = draft.with_kind("overseas")
    assert same == draft  # the same kind again changes nothing
    domestic = draft.with_kind("domestic")
    assert domestic.kind == WarehouseKind.DOMESTIC
    assert (domestic.country, domestic.capabilities, domestic.documents) == (None, (), ())
    assert domestic.name == "Berlin hub"  # the name has no kind rule


def test_changing_the_country_drops_only_the_vat_document() -> None:
    draft = _overseas_in_germany().with_document(_document(DocumentKind.BUSINESS_LICENCE))
    draft = draft.with_document(_document(DocumentKind.CUSTOMS_VAT, "vat.pdf"))
    assert draft.with_country("DE").documents == draft.documents
    moved = draft.with_country("FR")
    assert [d.kind for d in moved.documents] == [DocumentKind.BUSINESS_LICENCE]


def test_the_country_must_fit_the_kind() -> None:
    with pytest.raises(InvalidInput) as refused:
        WarehouseDraft(home_country="CN").with_kind("domestic").with_country("DE")
    assert refused.value.key == "warehouse.domestic_outside_home"
    with pytest.raises(InvalidInput) as refused:
        WarehouseDraft(home_country="CN").with_kind("overseas").with_country("CN")
    assert refused.value.key == "warehouse.overseas_in_home"


def test_documents_come_in_order_premises_by_choice_then_vat() -> None:
    draft = _overseas_in_germany()
    assert draft.next_document_kind() == DocumentKind.BUSINESS_LICENCE
    draft = draft.with_document(_document(DocumentKind.BUSINESS_LICENCE))
    assert draft.needs_premises_kind
    with pytest.raises(InvalidInput) as refused:
        draft.next_document_kind()
    assert refused.value.key == "warehouse.choose_document_kind"
    with pytest.raises(InvalidInput):
        draft.choose_premises_kind("business_licence")  # not a premises document
    draft = draft.choose_premises_kind(DocumentKind.LEASE.value)
    assert draft.next_document_kind() == DocumentKind.LEASE
    draft = draft.with_document(_document(DocumentKind.LEASE, "lease.pdf"))
    assert draft.premises_kind is None  # the choice is used up
    assert draft.wanted_document() == DocumentKind.CUSTOMS_VAT  # Germany asks for it
    with pytest.raises(InvalidInput) as refused:
        draft.finish_documents()
    assert refused.value.key == "warehouse.documents_missing"
    draft = draft.with_document(_document(DocumentKind.CUSTOMS_VAT, "vat.pdf"))
    assert draft.finish_documents() == draft
    assert draft.next_document_kind() == DocumentKind.OTHER  # extras may follow


def test_no_more_documents_than_the_maximum() -> None:
    draft = WarehouseDraft(home_country="CN").with_kind("domestic").with_country("CN")
    for number in range(warehouses.MAX_DOCUMENTS):
        draft = draft.with_document(_document(DocumentKind.OTHER, f"{number}.pdf"))
    with pytest.raises(InvalidInput) as refused:
        draft.next_document_kind()
    assert refused.value.key == "warehouse.too_many_documents"


def test_the_postcode_may_be_skipped_only_where_the_country_has_none() -> None:
    hong_kong = WarehouseDraft(home_country="CN").with_kind("overseas").with_country("HK")
    assert hong_kong.postcode_optional
    assert hong_kong.with_postcode(None).postcode is None
    germany = _overseas_in_germany()
    assert not germany.postcode_optional
    with pytest.raises(InvalidInput) as refused:
        germany.with_postcode(None)
    assert refused.value.key == "warehouse.postcode_invalid"
    assert germany.with_postcode("10115").postcode == "10115"


def test_the_command_needs_every_answer_and_the_draft_round_trips() -> None:
    draft = _overseas_in_germany().with_name("Berlin hub")
    with pytest.raises(InvalidInput):
        draft.command(telegram_user_id=1)
    draft = (
        draft.with_street("Hauptstraße 1")
        .with_city("Berlin")
        .with_region(None)
        .with_postcode("10115")
        .with_contact_name("Max Muster")
        .with_phone("030 901820")
        .toggle_capability("shipping")
        .with_document(_document(DocumentKind.BUSINESS_LICENCE))
        .choose_premises_kind("lease")
    )
    command = draft.command(telegram_user_id=7)
    assert (command.country, command.contact_phone, command.capabilities) == (
        "DE",
        "+4930901820",
        ["shipping"],
    )
    assert WarehouseDraft.from_data(draft.to_data()) == draft
