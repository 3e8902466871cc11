"""tracking: events, shipment tracking state, buyer subscriptions and link binding, digest opt-in

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 05:26:05.474926

Shipments confirmed before this revision keep their `next_poll_at`; with `registered_at` empty
the poller registers their numbers with the provider first, like any new shipment. Buyer links
used before it have no bound account and stay used.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from migrations import schema

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    schema.create_table(
        "buyer_link_refusals",
        schema.reference("user_id"),
        schema.moment("at", nullable=False),
        schema.foreign_key("buyer_link_refusals", "user_id", "telegram_users", ondelete="CASCADE"),
    )
    op.create_index(
        "ix_buyer_link_refusals_user_at", "buyer_link_refusals", ["user_id", "at"], unique=False
    )

    schema.create_table(
        "buyer_subscriptions",
        schema.reference("order_id"),
        schema.reference("buyer_user_id"),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("muted", sa.Boolean(), nullable=False),
        schema.moment("paused_at", nullable=True),
        schema.moment("created_at", nullable=False),
        schema.foreign_key(
            "buyer_subscriptions", "buyer_user_id", "telegram_users", ondelete="CASCADE"
        ),
        schema.foreign_key("buyer_subscriptions", "order_id", "orders", ondelete="CASCADE"),
        schema.unique("buyer_subscriptions", "order_id"),
        indexed=["buyer_user_id"],
    )

    schema.create_table(
        "tracking_events",
        schema.reference("shipment_id"),
        sa.Column("key", sa.String(length=64), nullable=False),
        schema.moment("time", nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("sub_status", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        schema.moment("recorded_at", nullable=False),
        schema.foreign_key("tracking_events", "shipment_id", "shipments", ondelete="CASCADE"),
        schema.unique("tracking_events", "shipment_id", "key"),
    )
    op.create_index(
        "ix_tracking_events_shipment_time", "tracking_events", ["shipment_id", "time"], unique=False
    )

    with op.batch_alter_table("buyer_links", schema=None) as batch_op:
        schema.add_reference(
            batch_op,
            "buyer_links",
            "bound_user_id",
            "telegram_users",
            ondelete="SET NULL",
            index="plain",
        )

    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tracking_digest", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("poll_failures", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(schema.moment("registered_at", nullable=True))
        batch_op.add_column(sa.Column("provider_carrier", sa.String(length=32), nullable=True))
        batch_op.add_column(schema.moment("tracking_stopped_at", nullable=True))
        batch_op.add_column(schema.moment("last_event_at", nullable=True))
        batch_op.add_column(sa.Column("notice_state", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("estimate_earliest", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("estimate_latest", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("estimate_source", sa.String(length=16), nullable=True))
        batch_op.add_column(schema.moment("stale_alerted_at", nullable=True))
        batch_op.add_column(schema.moment("no_info_alerted_at", nullable=True))
        batch_op.create_index(
            batch_op.f("ix_shipments_last_event_at"), ["last_event_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_last_event_at"))
        batch_op.drop_column("no_info_alerted_at")
        batch_op.drop_column("stale_alerted_at")
        batch_op.drop_column("estimate_source")
        batch_op.drop_column("estimate_latest")
        batch_op.drop_column("estimate_earliest")
        batch_op.drop_column("notice_state")
        batch_op.drop_column("last_event_at")
        batch_op.drop_column("tracking_stopped_at")
        batch_op.drop_column("provider_carrier")
        batch_op.drop_column("registered_at")
        batch_op.drop_column("poll_failures")

    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.drop_column("tracking_digest")

    with op.batch_alter_table("buyer_links", schema=None) as batch_op:
        schema.drop_reference(
            batch_op, "buyer_links", "bound_user_id", "telegram_users", indexed=True
        )

    op.drop_index("ix_tracking_events_shipment_time", table_name="tracking_events")

    op.drop_table("tracking_events")
    schema.drop_indexes("buyer_subscriptions", "buyer_user_id")

    op.drop_table("buyer_subscriptions")
    op.drop_index("ix_buyer_link_refusals_user_at", table_name="buyer_link_refusals")

    op.drop_table("buyer_link_refusals")
