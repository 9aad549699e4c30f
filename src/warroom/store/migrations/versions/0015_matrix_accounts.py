"""matrix_accounts: a Matrix login made once with a password (`warroom matrix login`)

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matrix_accounts",
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("homeserver", sa.String(500), nullable=False),
        sa.Column("access_token", sa.Text, nullable=False),
        sa.Column("device_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_matrix_accounts"),
    )


def downgrade() -> None:
    op.drop_table("matrix_accounts")
