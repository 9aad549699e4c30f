"""matrix: the sync token of each Matrix account the bot runs as

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matrix_sync",
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("next_batch", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_matrix_sync"),
    )


def downgrade() -> None:
    op.drop_table("matrix_sync")
