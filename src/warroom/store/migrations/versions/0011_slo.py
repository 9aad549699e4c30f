"""severity, impacts, per-minute probe counts, burn-rate alerts, action items

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("severity", sa.String(40), nullable=True))
    op.create_table(
        "incident_impacts",
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("set_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "service", name="pk_incident_impacts"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], ondelete="CASCADE",
            name="fk_incident_impacts_incident_id_incidents",
        ),
        sa.Index("ix_incident_impacts_service", "service"),
    )  # fmt: skip
    op.create_table(
        "slo_minutes",
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("good", sa.LargeBinary, nullable=False),
        sa.Column("total", sa.LargeBinary, nullable=False),
        sa.Column("good_sum", sa.Integer, nullable=False),
        sa.Column("total_sum", sa.Integer, nullable=False),
        sa.Column("known", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("service", "day", name="pk_slo_minutes"),
    )
    op.create_table(
        "slo_alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("resolved_at", TS),
        sa.Column("burn", sa.Float, nullable=False),
        sa.Column("open_key", sa.String(100), unique=True),
    )
    op.create_table(
        "action_items",
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200)),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("done_at", TS),
        sa.Column("done_by", sa.String(200)),
        sa.Column("link", sa.String(500)),
        sa.PrimaryKeyConstraint("incident_id", "number", name="pk_action_items"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], ondelete="CASCADE",
            name="fk_action_items_incident_id_incidents",
        ),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("action_items")
    op.drop_table("slo_alerts")
    op.drop_table("slo_minutes")
    op.drop_table("incident_impacts")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("severity")
