"""The shipping document services on a real database (SQLite and PostgreSQL): compliance findings
stored, budget warn versus block, month-to-date costs, logistics settings."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

import pytest
from sqlalchemy import select

from domain.drafts.shipping import ShippingDraft
from domain.errors import ConflictError, InvalidInput, NotAllowed, NotFound
from domain.logistics import ShippingMethod, parse_rate_card_file, rate_card_data
from domain.model import (
    AuditEntry,
    BuyerLink,
    ComplianceFinding,
    DocumentKind,
    FindingSeverity,
    OrderSource,
    OrderStatus,
    Shipment,
    WarehouseAction,
    WarehouseKind,
)
from domain.services import compliance_review, logistics_settings, sellers, warehouses
from domain.services.orders import intake, lifecycle
from domain.services.shipping import confirming, cost_ledger, steps
from domain.unit_of_work import UnitOfWork
from tests.conftest import FixedClock

UowFactory = Callable[[], UnitOfWork]
SELLER, OTHER_SELLER, OPERATOR = 5001, 5002, 900_001
OPERATORS = frozenset({OPERATOR})
SHIP_BY = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # the clock starts 2026-11-25 12:00
THRESHOLD = Decimal("200")


async def make_seller(uow_factory: UowFactory, user_id: int) -> int:
    async with uow_factory() as uow:
        seller = await sellers.register_seller(
            sellers.RegisterSeller(user_id, f"Store {user_id}", "CN", "en"), uow
        )
        await uow.commit()
        return seller.id


class Site(NamedTuple):
    country: str
    street: str
    city: str
    postcode: str
    phone: str


SHENZHEN = Site("CN", "1 Keji Road, Nanshan", "Shenzhen", "518000", "+86 138 0013 8000")
HAMBURG = Site("DE", "Am Sandtorkai 1", "Hamburg", "20457", "+49 40 12345678")


PDF = "application/pdf"


def _documents_for(site: Site) -> list[DocumentKind]:
    """What certification an operator needs: a licence; overseas, premises and customs/VAT."""
    if site.country == "CN":
        return [DocumentKind.BUSINESS_LICENCE]
    return [DocumentKind.BUSINESS_LICENCE, DocumentKind.LEASE, DocumentKind.CUSTOMS_VAT]


async def make_warehouse(
    uow_factory: UowFactory,
    user_id: int,
    name: str = "Shenzhen main",
    *,
    approve: bool = True,
    site: Site = SHENZHEN,
) -> int:
    """A warehouse registered like a seller does it (domestic in the seller's home country, CN;
    overseas elsewhere), approved by an operator."""
    async with uow_factory() as uow:
        warehouse = await warehouses.register_warehouse(
            warehouses.RegisterWarehouse(
                telegram_user_id=user_id,
                kind=WarehouseKind.DOMESTIC if site.country == "CN" else WarehouseKind.OVERSEAS,
                name=name,
                country=site.country,
                street=site.street,
                city=site.city,
                region=None,
                postcode=site.postcode,
                contact_name="Li Wei",
                contact_phone=site.phone,
                capabilities=["shipping"],
                documents=[
                    warehouses.UploadedDocument(
                        kind, f"f-{kind.value}", f"u-{kind.value}", "doc.pdf", PDF, 10
                    )
                    for kind in _documents_for(site)
                ],
            ),
            OPERATORS,
            uow,
        )
        if approve:
            await warehouses.decide(
                OPERATOR, warehouse.id, WarehouseAction.APPROVE, None, OPERATORS, uow
            )
        await uow.commit()
        return warehouse.id


async def make_confirmed_order(
    uow_factory: UowFactory,
    seller_id: int,
    user_id: int,
    number: str,
    lines: list[intake.NewOrderLine] | None = None,
    *,
    ship_to: tuple[str, str] = ("US", "94105"),
) -> int:
    async with uow_factory() as uow:
        order = await intake.create_order(
            intake.NewOrder(
                seller_id=seller_id,
                number=number,
                ship_to_country=ship_to[0],
                ship_to_postcode=ship_to[1],
                currency="USD",
                ship_by=SHIP_BY,
                lines=lines
                or [
                    intake.NewOrderLine("Phone case", 2, "3.50", "PC-1"),
                    intake.NewOrderLine("USB cable", 1, Decimal("0.99")),
                ],
                source=OrderSource.CONVERSATION,
                actor_id=user_id,
            ),
            uow,
        )
        await lifecycle.confirm_order(user_id, order.id, uow)
        await uow.commit()
        return order.id


async def filled_draft(
    uow_factory: UowFactory,
    user_id: int,
    order_id: int,
    warehouse_id: int,
    *,
    method: str = "sea",
    tracking: str = "RB123456785GB",
    goods: tuple[str, ...] = (),
) -> ShippingDraft:
    async with uow_factory() as uow:
        draft = await steps.start_document(user_id, order_id, uow)
        draft = steps.set_weight(draft, "12")
        draft = steps.set_dimensions(draft, "60x40x40")
        for good in goods:
            draft = steps.toggle_goods(draft, good)
        draft = await steps.choose_warehouse(user_id, draft, warehouse_id, uow)
        draft = await steps.choose_method(user_id, draft, method, uow)
        draft = steps.set_carrier(draft, "COSCO")
        entry = await steps.set_tracking(user_id, draft, tracking, uow)
        return entry.draft


class StoredFinding(NamedTuple):
    rule: str
    severity: FindingSeverity
    acknowledged: bool


async def _findings(uow_factory: UowFactory, order_id: int) -> list[StoredFinding]:
    async with uow_factory() as uow:
        rows = (
            await uow.session.execute(
                select(ComplianceFinding)
                .join(Shipment, Shipment.id == ComplianceFinding.shipment_id)
                .where(Shipment.order_id == order_id)
                .order_by(ComplianceFinding.id)
            )
        ).scalars()
        return [StoredFinding(f.rule, f.severity, f.acknowledged) for f in rows]


async def test_findings_are_stored_blockers_stop_and_warnings_need_acknowledgement(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    seller_id = await make_seller(uow_factory, SELLER)
    warehouse_id = await make_warehouse(uow_factory, SELLER)
    first = await make_confirmed_order(uow_factory, seller_id, SELLER, "A-1")
    second = await make_confirmed_order(uow_factory, seller_id, SELLER, "A-2")

    # The first order ships with RB123456785GB.
    draft = await filled_draft(uow_factory, SELLER, first, warehouse_id)
    async with uow_factory() as uow:
        done = await confirming.confirm_document(SELLER, draft, [], THRESHOLD, uow)
        await uow.commit()
    assert done.status == "shipped" and done.buyer_token
    assert len(done.buyer_token) >= 22  # at least 128 bits, URL-safe

    # The second order's draft took the same number before the first was confirmed: the
    # check at confirmation still refuses it, and the finding is stored for operators.
    draft = await filled_draft(uow_factory, SELLER, second, warehouse_id, tracking="EB000717618HK")
    draft = ShippingDraft.from_data({**draft.to_data(), "tracking": "RB123456785GB"})
    draft = steps.set_line_quantity(
        (await _order(uow_factory, second)), draft, next(iter(draft.quantities)), "1"
    )
    async with uow_factory() as uow:
        blocked = await confirming.confirm_document(SELLER, draft, [], THRESHOLD, uow)
        await uow.commit()
    assert blocked.status == "blocked"
    stored = {(f.rule, f.severity) for f in await _findings(uow_factory, second)}
    assert ("tracking_reused", FindingSeverity.BLOCKER) in stored
    assert ("quantity_mismatch", FindingSeverity.WARNING) in stored

    # The tracking number is refused as soon as it is typed, too.
    async with uow_factory() as uow:
        with pytest.raises(ConflictError) as refused:
            await steps.set_tracking(SELLER, draft, "rb 1234 5678 5gb", uow)
    assert refused.value.key == "tracking.reused"

    # A fresh number: only warnings are left, which need acknowledging: the partial shipment,
    # and the declared value typed for the whole order, above the goods in this parcel.
    draft = ShippingDraft.from_data({**draft.to_data(), "tracking": "EB000717618HK"})
    async with uow_factory() as uow:
        pending = await confirming.confirm_document(SELLER, draft, [], THRESHOLD, uow)
        await uow.commit()
    assert pending.status == "needs_acknowledgement"
    assert sorted(pending.unacknowledged) == ["declared_value_mismatch", "quantity_mismatch"]
    async with uow_factory() as uow:
        shipped = await confirming.confirm_document(
            SELLER, draft, pending.unacknowledged, THRESHOLD, uow
        )
        await uow.commit()
    assert shipped.status == "shipped"

    async with uow_factory() as uow:
        shipments = await uow.shipments.for_order(second)
        assert len(shipments) == 1  # the refused attempts were the same draft document
        shipment = shipments[0]
        assert shipment.confirmed_at == clock.now
        assert shipment.is_partial and shipment.tracking_number == "EB000717618HK"
        # Findings are history: the blocker of the first attempt stays for operators; the
        # warning every attempt repeated is stored once, acknowledged in the end.
        found = {(f.rule, f.severity, f.acknowledged) for f in shipment.findings}
        assert found == {
            ("tracking_reused", FindingSeverity.BLOCKER, False),
            ("quantity_mismatch", FindingSeverity.WARNING, True),
            ("declared_value_mismatch", FindingSeverity.WARNING, True),
        }
        assert len(shipment.findings) == len(found)
        partial = [f for f in shipment.findings if f.rule == "quantity_mismatch"]
        assert partial[0].params["message_key"] == "compliance.partial_shipment"
        order = await uow.orders.get(second)
        assert order is not None and order.status == OrderStatus.SHIPPED
        links = (
            (await uow.session.execute(select(BuyerLink).where(BuyerLink.order_id == second)))
            .scalars()
            .all()
        )
        assert len(links) == 1 and links[0].token_hash != shipped.buyer_token
        actions = [e.action for e in await uow.audit.entries_for("order", second)]
        assert "shipment.blocked" in actions and actions[-1] == "shipment.confirmed"


async def _order(uow_factory: UowFactory, order_id: int):  # type: ignore[no-untyped-def]
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        uow.session.expunge(order)
        return order


async def test_warehouse_checks(uow_factory: UowFactory, clock: FixedClock) -> None:
    seller_id = await make_seller(uow_factory, SELLER)
    other_id = await make_seller(uow_factory, OTHER_SELLER)
    verified = await make_warehouse(uow_factory, SELLER)
    pending = await make_warehouse(uow_factory, SELLER, "Dongguan", approve=False)
    foreign = await make_warehouse(uow_factory, OTHER_SELLER, "Not yours")
    assert other_id != seller_id
    order_id = await make_confirmed_order(uow_factory, seller_id, SELLER, "W-1")
    async with uow_factory() as uow:
        draft = await steps.start_document(SELLER, order_id, uow)
        with pytest.raises(NotAllowed) as not_verified:
            await steps.choose_warehouse(SELLER, draft, pending, uow)
        assert not_verified.value.key == "shipping.warehouse_not_verified"
        assert not_verified.value.params["status"] == "pending_review"
        with pytest.raises(NotFound):
            await steps.choose_warehouse(SELLER, draft, foreign, uow)
        with pytest.raises(NotFound):  # someone else's order looks like no order
            await steps.start_document(OTHER_SELLER, order_id, uow)

    # Suspended between selection and confirmation: a stored blocker, the order stays open.
    draft = await filled_draft(uow_factory, SELLER, order_id, verified)
    async with uow_factory() as uow:
        await warehouses.decide(
            OPERATOR, verified, WarehouseAction.SUSPEND, "Expired licence", OPERATORS, uow
        )
        await uow.commit()
    async with uow_factory() as uow:
        result = await confirming.confirm_document(SELLER, draft, [], THRESHOLD, uow)
        await uow.commit()
    assert result.status == "blocked"
    [blocker] = result.review.blockers
    # It names the warehouse and says it was suspended, with the operator's note.
    assert (blocker.rule, blocker.message_key) == (
        "warehouse_suspended",
        "compliance.warehouse_suspended",
    )
    assert blocker.params == {"name": "Shenzhen main", "note": "Expired licence"}
    assert [f.rule for f in await _findings(uow_factory, order_id)] == ["warehouse_suspended"]
    assert (await _order(uow_factory, order_id)).status == OrderStatus.CONFIRMED


async def test_reconfirming_a_blocked_document_keeps_its_findings(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    """Findings are history: after the seller fixes a blocked document and ships it, operators
    still see in /compliance what blocked it, and when."""
    seller_id = await make_seller(uow_factory, SELLER)
    first = await make_warehouse(uow_factory, SELLER)
    second = await make_warehouse(uow_factory, SELLER, "Shenzhen north")
    order_id = await make_confirmed_order(uow_factory, seller_id, SELLER, "H-1")
    draft = await filled_draft(uow_factory, SELLER, order_id, first)
    async with uow_factory() as uow:
        await warehouses.decide(
            OPERATOR, first, WarehouseAction.SUSPEND, "Expired licence", OPERATORS, uow
        )
        await uow.commit()
    async with uow_factory() as uow:
        blocked = await confirming.confirm_document(SELLER, draft, [], THRESHOLD, uow)
        await uow.commit()
    assert blocked.status == "blocked"
    blocked_at = clock.now

    # Confirmed again, still blocked: the same finding is not stored twice.
    clock.advance(minutes=5)
    async with uow_factory() as uow:
        again = await confirming.confirm_document(SELLER, draft, [], THRESHOLD, uow)
        await uow.commit()
    assert again.status == "blocked"
    assert [f.rule for f in await _findings(uow_factory, order_id)] == ["warehouse_suspended"]

    # The seller goes back, picks the other warehouse and confirms: shipped.
    clock.advance(minutes=5)
    async with uow_factory() as uow:
        draft = await steps.choose_warehouse(SELLER, draft, second, uow)
        shipped = await confirming.confirm_document(SELLER, draft, [], THRESHOLD, uow)
        await uow.commit()
    assert shipped.status == "shipped" and shipped.review.findings == []

    stored = await _findings(uow_factory, order_id)
    assert stored == [StoredFinding("warehouse_suspended", FindingSeverity.BLOCKER, False)]
    async with uow_factory() as uow:
        seen, total = await compliance_review.recent_findings(OPERATOR, OPERATORS, 0, uow)
        shipment = (await uow.shipments.for_order(order_id))[0]
        assert shipment.confirmed_at is not None and shipment.warehouse_id == second
    assert total == 1
    assert [(f.rule, f.severity, f.order_number) for f in seen] == [
        ("warehouse_suspended", "blocker", "H-1")
    ]
    assert seen[0].created_at == blocked_at
    assert seen[0].params == {"name": "Shenzhen main", "note": "Expired licence"}


async def test_lithium_battery_is_refused_for_express(uow_factory: UowFactory) -> None:
    seller_id = await make_seller(uow_factory, SELLER)
    warehouse_id = await make_warehouse(uow_factory, SELLER)
    order_id = await make_confirmed_order(uow_factory, seller_id, SELLER, "L-1")
    async with uow_factory() as uow:
        draft = await steps.start_document(SELLER, order_id, uow)
        draft = steps.set_dimensions(steps.set_weight(draft, "2"), "30x20x10")
        draft = steps.toggle_goods(draft, "battery_standalone")
        draft = await steps.choose_warehouse(SELLER, draft, warehouse_id, uow)
        with pytest.raises(InvalidInput) as refused:
            await steps.choose_method(SELLER, draft, "express", uow)
        assert refused.value.key == "shipping.method_refused"
        assert refused.value.params["reasons"] == ["logistics.express_battery"]
        assert (await steps.choose_method(SELLER, draft, "sea", uow)).method == "sea"


async def test_budget_warn_versus_block(uow_factory: UowFactory) -> None:
    seller_id = await make_seller(uow_factory, SELLER)
    warehouse_id = await make_warehouse(uow_factory, SELLER)
    warned = await make_confirmed_order(uow_factory, seller_id, SELLER, "B-1")
    blocked = await make_confirmed_order(uow_factory, seller_id, SELLER, "B-2")

    # 7.99 USD order, sea freight from the example card costs far more than 20 % of it.
    async with uow_factory() as uow:
        await logistics_settings.set_budget_policy(
            SELLER, logistics_settings.parse_budget("20% warn"), uow
        )
        await uow.commit()
    draft = await filled_draft(uow_factory, SELLER, warned, warehouse_id)
    async with uow_factory() as uow:
        comparison = await steps.comparison(SELLER, draft, uow)
        sea = comparison.option(ShippingMethod.SEA)
        assert sea.budget is not None and sea.budget.over and not sea.blocked_by_budget
        result = await confirming.confirm_document(SELLER, draft, [], THRESHOLD, uow)
        await uow.commit()
    assert result.status == "needs_acknowledgement"
    over = [f for f in result.review.findings if f.rule == "over_budget"]
    assert [f.severity for f in over] == ["warning"]
    async with uow_factory() as uow:
        result = await confirming.confirm_document(SELLER, draft, ["over_budget"], THRESHOLD, uow)
        await uow.commit()
    assert result.status == "shipped"

    # The same policy in block mode refuses the method outright...
    draft_b = await filled_draft(
        uow_factory, SELLER, blocked, warehouse_id, tracking="EB000717618HK"
    )
    async with uow_factory() as uow:
        await logistics_settings.set_budget_policy(
            SELLER, logistics_settings.parse_budget("20% block"), uow
        )
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(InvalidInput) as refused:
            await steps.choose_method(SELLER, draft_b, "sea", uow)
        assert refused.value.key == "shipping.budget_blocked"
        # ...and a document whose method was chosen before the policy changed is blocked.
        result = await confirming.confirm_document(SELLER, draft_b, ["over_budget"], THRESHOLD, uow)
        await uow.commit()
    assert result.status == "blocked"
    assert [(f.rule, f.severity) for f in result.review.blockers] == [("over_budget", "blocker")]
    stored = await _findings(uow_factory, blocked)
    assert [(f.rule, f.severity) for f in stored] == [("over_budget", FindingSeverity.BLOCKER)]


async def test_month_to_date_costs_by_method(uow_factory: UowFactory, clock: FixedClock) -> None:
    seller_id = await make_seller(uow_factory, SELLER)
    warehouse_id = await make_warehouse(uow_factory, SELLER)
    orders = [
        await make_confirmed_order(uow_factory, seller_id, SELLER, f"C-{n}") for n in range(4)
    ]
    numbers = ["RB123456785GB", "EB000717618HK", "RR000000005CN", "LP00000000000001"]
    methods = ["sea", "sea", "express", "sea"]  # no land route to the US

    # Last month's document does not count.
    clock.now = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    async with uow_factory() as uow:
        await logistics_settings.set_budget_policy(
            SELLER, logistics_settings.parse_budget("50 USD"), uow
        )
        await uow.commit()
    for index, (order_id, number, method) in enumerate(zip(orders, numbers, methods, strict=True)):
        if index == 1:
            clock.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        draft = await filled_draft(
            uow_factory, SELLER, order_id, warehouse_id, method=method, tracking=number
        )
        async with uow_factory() as uow:
            result = await confirming.confirm_document(
                SELLER, draft, ["tracking_unknown_format", "over_budget"], THRESHOLD, uow
            )
            await uow.commit()
        assert result.status == "shipped", result.review.findings
        clock.advance(hours=1)

    async with uow_factory() as uow:
        seller = await uow.sellers.by_telegram_user(SELLER)
        assert seller is not None
        report = await cost_ledger.month_to_date_costs(seller, clock.now, uow)
        shipments = (await uow.session.execute(select(Shipment))).scalars().all()
        costs = {s.order_id: Decimal(s.estimated_cost or 0) for s in shipments}
    assert report.since == datetime(2026, 11, 1, tzinfo=UTC)
    by_method = {row.method: row for row in report.rows}
    assert list(by_method) == [ShippingMethod.EXPRESS, ShippingMethod.SEA]
    sea, express = by_method[ShippingMethod.SEA], by_method[ShippingMethod.EXPRESS]
    assert sea.shipments == 2 and express.shipments == 1
    assert sea.spent.amount == costs[orders[1]] + costs[orders[3]]
    assert express.spent.amount == costs[orders[2]]
    assert sea.budget is not None and sea.budget.amount == Decimal("100.00")
    assert sea.over_budget == sum(costs[o] > 50 for o in (orders[1], orders[3]))


_LANES_CARD = (
    b'{"currency": "EUR", "zones": {"eu": ["DE", "FR"]}, "lanes": [{"from": "eu", "to": "eu",'
    b' "land": {"per_kg": "0.6", "transit_days": [2, 5]}}]}'
)


async def test_logistics_settings(uow_factory: UowFactory) -> None:
    await make_seller(uow_factory, SELLER)
    csv_card = (
        b"country,zone\nUS,na\n*,world\n\n"
        b"zone,method,currency,per_kg,per_wm,minimum,fixed_fee,transit_min,transit_max\n"
        b"na,sea,USD,,80,50,10,25,40\nna,land,USD,2,,30,0,20,30\nworld,sea,USD,,120,60,10,30,50\n"
    )
    async with uow_factory() as uow:
        card_data = logistics_settings.read_rate_card_file("my-rates.csv", csv_card)
        card = await logistics_settings.store_rate_card(SELLER, "my-rates.csv", card_data, uow)
        await logistics_settings.set_exchange_rate(
            SELLER, logistics_settings.parse_exchange_rate("usd cny 7,2"), uow
        )
        await logistics_settings.set_exchange_rate(
            SELLER, logistics_settings.parse_exchange_rate("CNY USD 0.14"), uow
        )
        await uow.commit()
    assert card.currency == "USD" and not card.example
    async with uow_factory() as uow:
        profile = await logistics_settings.current_profile(SELLER, uow)
    assert profile.custom_card and profile.rate_card == card
    assert profile.rates.rates == {("CNY", "USD"): Decimal("0.14")}  # one truth per pair

    # A card parsed in a worker process comes back pickled and is saved as it is.
    with ProcessPoolExecutor(max_workers=1) as pool:
        parsed = pool.submit(parse_rate_card_file, "lanes.json", _LANES_CARD).result(timeout=60)
    async with uow_factory() as uow:
        saved = await logistics_settings.store_rate_card(
            SELLER, "lanes.json", rate_card_data(parsed), uow
        )
        await uow.commit()
    assert saved.label == "lanes.json" and saved.lane_for("DE", "FR") is not None
    async with uow_factory() as uow:
        assert (await logistics_settings.current_profile(SELLER, uow)).rate_card == saved

    with pytest.raises(InvalidInput) as bad:
        logistics_settings.parse_budget("150%")
    assert bad.value.key == "budget.invalid_share"
    with pytest.raises(InvalidInput) as no_currency:
        logistics_settings.parse_budget("20")
    assert no_currency.value.key == "budget.currency_required"
    policy = logistics_settings.parse_budget("block 15% 20 usd")
    assert policy is not None and policy.mode == "block"
    assert policy.max_share == Decimal("0.15") and str(policy.max_per_order) == "20.00 USD"
    with pytest.raises(InvalidInput) as invalid_card:
        logistics_settings.read_rate_card_file("rates.json", b'{"currency": "USD"}')
    assert invalid_card.value.key == "rates.invalid"
    async with uow_factory() as uow:
        await logistics_settings.reset_rate_card(SELLER, uow)
        await uow.commit()
    async with uow_factory() as uow:
        profile = await logistics_settings.current_profile(SELLER, uow)
        actions = {e.action for e in (await uow.session.execute(select(AuditEntry))).scalars()}
    assert not profile.custom_card and profile.rate_card.example
    assert "logistics.rate_card_reset" in actions


def test_draft_round_trips_through_conversation_data() -> None:
    draft = ShippingDraft(
        order_id=1,
        quantities={10: 2, 11: 0},
        declared_value=Decimal("7.99"),
        currency="USD",
        weight_kg=Decimal("12.000"),
        dimensions_cm=(Decimal("60.0"), Decimal("40.0"), Decimal("40.0")),
        goods=("fragile",),
        warehouse_id=3,
        method="sea",
        carrier="COSCO",
        tracking="RB123456785GB",
    )
    assert ShippingDraft.from_data(draft.to_data()) == draft
    assert cost_ledger.month_start(datetime(2026, 11, 25, 12, tzinfo=UTC)) == datetime(
        2026, 11, 1, tzinfo=UTC
    )
    assert timedelta(0) < SHIP_BY - datetime(2026, 11, 25, tzinfo=UTC)
