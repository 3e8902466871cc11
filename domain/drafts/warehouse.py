"""The warehouse registration's draft: kind -> name -> country -> address -> contact ->
capabilities -> certification documents.

The rules of the conversation live here: another kind starts the kind-dependent answers over,
another country drops the customs/VAT document, local returns are offered only for overseas
warehouses, and the documents are asked in order (which comes next, up to the maximum).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain import embargo
from domain.drafts.answers import answered
from domain.drafts.stored import StoredDraft
from domain.errors import InvalidInput
from domain.model import Capability, DocumentKind, WarehouseKind
from domain.model.warehouses import PREMISES_DOCUMENTS, missing_documents
from domain.services import warehouses

# Asked as a choice first: several documents prove the premises.
PREMISES = "premises"


@dataclass(frozen=True)
class WarehouseDraft(StoredDraft):
    home_country: str
    kind: WarehouseKind | None = None
    name: str | None = None
    country: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postcode: str | None = None
    contact_name: str | None = None
    phone: str | None = None
    capabilities: tuple[str, ...] = ()
    documents: tuple[warehouses.UploadedDocument, ...] = ()
    premises_kind: DocumentKind | None = None  # the premises document the seller chose to send

    # ----- answers -----
    def with_kind(self, value: str) -> WarehouseDraft:
        if value not in {k.value for k in WarehouseKind}:
            raise InvalidInput("errors.invalid_choice")
        kind = WarehouseKind(value)
        if kind == WarehouseKind.DOMESTIC and embargo.is_embargoed(self.home_country):
            # A store registered before its country was refused (`domain.embargo`): a warehouse
            # at home could never be declared, so the kind is refused at once, saying why.
            raise InvalidInput("warehouse.country_embargoed", country=self.home_country)
        if kind == self.kind:
            return self
        # Another kind has other country, capability and document rules: those start over.
        return replace(
            self, kind=kind, country=None, capabilities=(), documents=(), premises_kind=None
        )

    def with_country(self, code: str) -> WarehouseDraft:
        country = warehouses.check_country(answered(self.kind), code, self.home_country)
        documents = self.documents
        if self.country not in (None, country):
            # The customs/VAT registration is per country: the old one proves nothing now.
            documents = tuple(d for d in documents if d.kind != DocumentKind.CUSTOMS_VAT)
        return replace(self, country=country, documents=documents)

    def with_name(self, raw: str) -> WarehouseDraft:
        return replace(self, name=warehouses.clean_name(raw))

    def with_street(self, raw: str) -> WarehouseDraft:
        return replace(self, street=warehouses.clean_street(raw))

    def with_city(self, raw: str) -> WarehouseDraft:
        return replace(self, city=warehouses.clean_city(raw))

    def with_region(self, raw: str | None) -> WarehouseDraft:
        return replace(self, region=None if raw is None else warehouses.clean_region(raw))

    @property
    def postcode_optional(self) -> bool:
        return not warehouses.postcode_required(answered(self.country))

    def with_postcode(self, raw: str | None) -> WarehouseDraft:
        if raw is None:
            if not self.postcode_optional:
                raise InvalidInput("warehouse.postcode_invalid", example="—")
            return replace(self, postcode=None)
        return replace(self, postcode=warehouses.clean_postcode(answered(self.country), raw))

    def with_contact_name(self, raw: str) -> WarehouseDraft:
        return replace(self, contact_name=warehouses.clean_contact_name(raw))

    def with_phone(self, raw: str) -> WarehouseDraft:
        return replace(self, phone=warehouses.clean_phone(raw, answered(self.country)))

    # ----- capabilities -----
    def capability_options(self) -> list[Capability]:
        """What this warehouse may offer: local returns only abroad, where buyers send back."""
        return [
            c
            for c in Capability
            if self.kind == WarehouseKind.OVERSEAS or c != Capability.LOCAL_RETURNS
        ]

    def toggle_capability(self, value: str) -> WarehouseDraft:
        chosen = set(self.capabilities) ^ {value}
        # Checked as chosen so far (an empty set is fine until "Done").
        warehouses.check_capabilities(answered(self.kind), sorted(chosen) or [Capability.SHIPPING])
        return replace(self, capabilities=tuple(sorted(chosen)))

    def finish_capabilities(self) -> WarehouseDraft:
        chosen = warehouses.check_capabilities(answered(self.kind), self.capabilities)
        return replace(self, capabilities=tuple(chosen))

    # ----- documents -----
    def missing_documents(self) -> list[str]:
        return missing_documents(
            answered(self.kind), answered(self.country), [d.kind for d in self.documents]
        )

    @property
    def needs_premises_kind(self) -> bool:
        """The next document proves the premises and the seller has not said which one."""
        missing = self.missing_documents()
        return bool(missing) and missing[0] == PREMISES and self.premises_kind is None

    def wanted_document(self) -> DocumentKind | None:
        """The document asked for next (None: all there; only extras may follow)."""
        missing = self.missing_documents()
        if not missing:
            return None
        if missing[0] == PREMISES:
            return self.premises_kind
        return DocumentKind(missing[0])

    def choose_premises_kind(self, value: str) -> WarehouseDraft:
        if value not in {k.value for k in PREMISES_DOCUMENTS}:
            raise InvalidInput("errors.invalid_choice")
        return replace(self, premises_kind=DocumentKind(value))

    def next_document_kind(self) -> DocumentKind:
        """What a file sent now is taken as; refused past the maximum."""
        if self.needs_premises_kind:
            raise InvalidInput("warehouse.choose_document_kind")
        kind = self.wanted_document() or DocumentKind.OTHER
        if len(self.documents) >= warehouses.MAX_DOCUMENTS:
            raise InvalidInput("warehouse.too_many_documents", max=warehouses.MAX_DOCUMENTS)
        return kind

    def with_document(self, document: warehouses.UploadedDocument) -> WarehouseDraft:
        return replace(self, documents=(*self.documents, document), premises_kind=None)

    def finish_documents(self) -> WarehouseDraft:
        if self.missing_documents():
            raise InvalidInput("warehouse.documents_missing")
        return self

    # ----- the result -----
    def command(self, telegram_user_id: int) -> warehouses.RegisterWarehouse:
        """What the summary's "Submit" registers."""
        return warehouses.RegisterWarehouse(
            telegram_user_id=telegram_user_id,
            kind=answered(self.kind),
            name=answered(self.name),
            country=answered(self.country),
            street=answered(self.street),
            city=answered(self.city),
            region=self.region,
            postcode=self.postcode,
            contact_name=answered(self.contact_name),
            contact_phone=answered(self.phone),
            capabilities=list(self.capabilities),
            documents=list(self.documents),
        )
