"""processed events (de-duplication of platform retries), notices (Spy's ⚠ in other channels)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("processed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_processed_events"),
    )
    op.create_index("ix_processed_events_processed_at", "processed_events", ["processed_at"])
    op.create_table(
        "notices",
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("thread", sa.String(200), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "user", name="pk_notices"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name="fk_notices_incident_id_incidents",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("notices")
    op.drop_table("processed_events")
