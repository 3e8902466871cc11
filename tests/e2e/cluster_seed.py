# ruff: noqa: S608 (only constants of this module are formatted into the SQL)
"""The cluster test's data, written straight into PostgreSQL (set-based, like bench/poll.py):
sellers with a warehouse, 500 shipped orders whose shipments fall due for a poll within the
next 30 seconds, a buyer subscribed to each, and 50 more shipped orders with a buyer link
nobody opened yet.

Every shipment is registered with the simulated provider and was shipped at a moment within its
method's transit time, so its journey is somewhere between the first scan and the door when the
workers first poll it: the provider reports real progress at once, without moving any clock.
Buyers' time zones are picked so that it is midday for them whenever the test runs: nothing is
held for quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.services.orders import buyer_links

SHIPMENTS = 500
LINK_ORDERS = 50
SHIPPING_SELLERS = 20  # own the shipments; hear of parcels in trouble
ORDER_SELLERS = 10  # registered, no parcels: they create an order in the wizard
SHIPPING_SELLER_BASE = 7_410_000_000
ORDER_SELLER_BASE = 7_410_000_100
BUYER_BASE = 7_420_000_000
# The shipments fall due over this many seconds from the seeding on, so several ticks of both
# workers (every 10 s, each at its own phase) find some: the two pollers work side by side.
DUE_SPREAD_SECONDS = 30


@dataclass(frozen=True)
class Seeded:
    tracking_numbers: frozenset[str]
    # user id of each seller/buyer the outbox may write to
    outbox_chats: frozenset[int]
    order_sellers: tuple[int, ...]
    link_tokens: tuple[str, ...]
    link_order_numbers: tuple[str, ...]


def midday_zone(now: datetime) -> str:
    """An IANA zone where it is about noon at `now` (Etc/GMT-3 is three hours *ahead* of UTC)."""
    offset = (12 - now.astimezone(UTC).hour + 12) % 24 - 12  # -12..11
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def link_token(i: int) -> str:
    return f"clusterlink{i:04d}abcdefghijklmnopqrstu"


_ORDERS = """
WITH n AS (
  SELECT i,
         (ARRAY['express','land','sea'])[i % 3 + 1] AS method,
         (ARRAY[5,18,35])[i % 3 + 1] AS min_days,
         (ARRAY[10,25,50])[i % 3 + 1] AS max_days,
         (ARRAY['FR','BR','US','ES','DE'])[i % 5 + 1] AS country
  FROM generate_series(1, $2::bigint) AS i
)
SELECT i, method, min_days, max_days, country,
       $1::timestamptz - make_interval(mins => ((i * 7919) % (max_days * 1440))::int) AS shipped
FROM n
"""

# $1 now, $2 how many, $3 the first user id - 1, $4 the first seller (and warehouse) id - 1.
_SELLER_USERS = """
INSERT INTO telegram_users (id, locale, telegram_language, created_at, last_seen_at)
SELECT $3::bigint + s, 'en', 'en', $1, $1 FROM generate_series(1, $2::int) AS s"""
_SELLER_ROWS = """
INSERT INTO sellers (id, telegram_user_id, store_name, home_country, locale, created_at,
                     tracking_digest)
SELECT $4::int + s, $3::bigint + s, 'Cluster store ' || ($4::int + s), 'CN', 'en', $1, false
FROM generate_series(1, $2::int) AS s"""
_WAREHOUSES = """
INSERT INTO warehouses (id, seller_id, kind, name, name_key, country, street, city,
                        contact_name, contact_phone, capabilities, status, created_at, updated_at)
SELECT $3::int + s, $3::int + s, 'domestic', 'Main', 'main', 'CN', '1 Cluster Road', 'Shenzhen',
       'Cluster', '+8613800000000', '["sorting", "packing", "shipping"]', 'verified', $1, $1
FROM generate_series(1, $2::int) AS s"""

# $1 now, $2 how many, $3 first buyer id - 1, $4 the buyers' zone; shipments of the last
# LINK_ORDERS orders are not due (their buyers link during the test). Only constants of this
# module are formatted into the statements (hence the S608 exemptions).
_SHIPPED = [
    f"""INSERT INTO telegram_users (id, locale, telegram_language, created_at, last_seen_at)
        SELECT $3::bigint + i, NULL, 'en', shipped, shipped FROM ({_ORDERS}) AS a
        WHERE i <= {SHIPMENTS}""",
    f"""INSERT INTO orders (id, seller_id, number, ship_to_country, ship_to_postcode, currency,
                           total, ship_by, status, source, created_at, confirmed_at, shipped_at)
        SELECT i, 1 + i % {SHIPPING_SELLERS}, 'CL-' || i, country, '10001', 'EUR', 10.50,
               shipped, 'shipped', 'import', shipped, shipped, shipped
        FROM ({_ORDERS}) AS a""",
    f"""INSERT INTO order_lines (id, order_id, position, product_name, sku, quantity, unit_price)
        SELECT i, i, 1, 'Phone case', 'PC-1', 1, 10.50 FROM ({_ORDERS}) AS a""",
    f"""INSERT INTO buyer_subscriptions (id, order_id, buyer_user_id, time_zone, muted, created_at)
        SELECT i, i, $3::bigint + i, $4, false, shipped FROM ({_ORDERS}) AS a
        WHERE i <= {SHIPMENTS}""",
    f"""INSERT INTO shipments (id, order_id, warehouse_id, method, carrier, tracking_number,
                              declared_value, declared_currency, weight_kg, length_cm, width_cm,
                              height_cm, goods_characteristics, transit_min_days,
                              transit_max_days, lines_shipped, is_partial,
                              compliance_acknowledged, created_at, confirmed_at, registered_at,
                              provider_carrier, poll_failures, next_poll_at, estimate_earliest,
                              estimate_latest, estimate_source)
        SELECT i, i, 1 + i % {SHIPPING_SELLERS}, method, 'China Post',
               'LP' || lpad(i::text, 14, '0'), 10.50, 'EUR', 1.0, 20, 15, 10, '[]', min_days,
               max_days, ('[{{"line_id": ' || i || ', "quantity": 1}}]')::json, false, false,
               shipped, shipped, shipped, 'simulated-post', 0,
               CASE WHEN i <= {SHIPMENTS} THEN $1 + make_interval(secs => i % {DUE_SPREAD_SECONDS}) END,
               (shipped + make_interval(days => min_days))::date,
               (shipped + make_interval(days => max_days))::date, 'lane'
        FROM ({_ORDERS}) AS a""",
]


async def seed(url: str, now: datetime) -> Seeded:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    total = SHIPMENTS + LINK_ORDERS
    try:
        async with connection.transaction():
            for count, base, first_seller in (
                (SHIPPING_SELLERS, SHIPPING_SELLER_BASE, 0),
                (ORDER_SELLERS, ORDER_SELLER_BASE, SHIPPING_SELLERS),
            ):
                await connection.execute(_SELLER_USERS, now, count, base)
                await connection.execute(_SELLER_ROWS, now, count, base, first_seller)
                await connection.execute(_WAREHOUSES, now, count, first_seller)
            values = [now, total, BUYER_BASE, midday_zone(now)]
            for statement in _SHIPPED:
                # Each statement takes the first few of these: $1, $2, ... as far as it goes.
                used = max(k for k in range(1, len(values) + 1) if f"${k}" in statement)
                await connection.execute(statement, *values[:used])
            await connection.executemany(
                """INSERT INTO buyer_links (order_id, token_hash, created_at, expires_at)
                   VALUES ($1, $2, $3, $3::timestamptz + interval '30 days')""",
                [
                    (SHIPMENTS + i, buyer_links.token_hash(link_token(i)), now)
                    for i in range(1, LINK_ORDERS + 1)
                ],
            )
            for table, last in (
                ("orders", total),
                ("order_lines", total),
                ("buyer_subscriptions", SHIPMENTS),
                ("shipments", total),
                ("sellers", SHIPPING_SELLERS + ORDER_SELLERS),
                ("warehouses", SHIPPING_SELLERS + ORDER_SELLERS),
            ):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), $1)", last
                )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return Seeded(
        tracking_numbers=frozenset(f"LP{i:014d}" for i in range(1, SHIPMENTS + 1)),
        outbox_chats=frozenset(
            [SHIPPING_SELLER_BASE + s for s in range(1, SHIPPING_SELLERS + 1)]
            + [BUYER_BASE + i for i in range(1, SHIPMENTS + 1)]
        ),
        order_sellers=tuple(ORDER_SELLER_BASE + s for s in range(1, ORDER_SELLERS + 1)),
        link_tokens=tuple(link_token(i) for i in range(1, LINK_ORDERS + 1)),
        link_order_numbers=tuple(f"CL-{SHIPMENTS + i}" for i in range(1, LINK_ORDERS + 1)),
    )
