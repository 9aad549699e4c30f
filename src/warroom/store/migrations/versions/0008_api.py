"""HTTP API: deploy locks, API tokens, alerts received

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deploy_locks",
        sa.Column("stack", sa.String(200), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("since", TS, nullable=False),
        sa.Column("incident_id", sa.Integer),
        sa.Column("platform", sa.String(32), nullable=False, server_default=""),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_used_at", TS),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("dedup_key", sa.String(500), nullable=False),
        sa.Column("route", sa.String(100), nullable=False),
        sa.Column("team", sa.String(100), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("page_id", sa.Integer),
        sa.Column("incident_id", sa.Integer),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("resolved_at", TS),
        sa.UniqueConstraint("source", "dedup_key", name="uq_alerts_source_key"),
    )


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("api_tokens")
    op.drop_table("deploy_locks")
