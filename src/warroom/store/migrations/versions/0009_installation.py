"""installation: one random ID per database, part of every dedup key

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-01
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "installation",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("installation_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_installation"),
        sa.CheckConstraint("id = 1", name="ck_installation_one_row"),
    )
    # Created with the database: a new or reset database is a new installation.
    op.bulk_insert(
        table,
        [{"id": 1, "installation_id": uuid.uuid4().hex[:12], "created_at": datetime.now(UTC)}],
    )


def downgrade() -> None:
    op.drop_table("installation")
