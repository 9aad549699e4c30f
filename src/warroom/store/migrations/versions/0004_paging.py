"""pages, snoozes (pager stfu), on-call cache

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, nullable=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("dedup_key", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("people", sa.Text, nullable=False),
        sa.Column("schedules", sa.Text, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_pages"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name="fk_pages_incident_id_incidents",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_pages_dedup_key", "pages", ["dedup_key"])
    op.create_index("ix_pages_status", "pages", ["status"])
    op.create_table(
        "snoozes",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("until", TS, nullable=False),
        sa.PrimaryKeyConstraint("platform", "user", name="pk_snoozes"),
    )
    op.create_table(
        "oncall_cache",
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("schedule", sa.String(200), nullable=False),
        sa.Column("people", sa.Text, nullable=True),
        sa.Column("fetched_at", TS, nullable=True),
        sa.Column("attempted_at", TS, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("provider", "schedule", name="pk_oncall_cache"),
    )


def downgrade() -> None:
    op.drop_table("oncall_cache")
    op.drop_table("snoozes")
    op.drop_table("pages")
