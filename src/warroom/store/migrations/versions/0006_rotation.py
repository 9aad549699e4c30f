"""fair rotation: roster, pages, their timeline and the messages that acknowledge them

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "roster",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("handle", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("email", sa.String(200), nullable=False, server_default=""),
        sa.Column("tz", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("country", sa.String(8), nullable=False, server_default=""),
        sa.Column("manager", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("turns", sa.Integer, nullable=False, server_default="0"),
        sa.Column("pings", sa.Integer, nullable=False, server_default="0"),
        sa.Column("acks", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_turn_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_roster"),
        sa.UniqueConstraint("handle", name="uq_roster_handle"),
    )
    op.create_table(
        "rotation_pages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("thread", sa.String(200), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("triggered_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("step", sa.Integer, nullable=False, server_default="0"),
        sa.Column("engineers", sa.Integer, nullable=False, server_default="0"),
        sa.Column("managers_at", TS, nullable=True),
        sa.Column("acked_by", sa.String(200), nullable=True),
        sa.Column("acked_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rotation_pages"),
    )
    op.create_index("ix_rotation_pages_created_at", "rotation_pages", ["created_at"])
    op.create_table(
        "rotation_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("page_id", sa.Integer, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_rotation_events"),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["rotation_pages.id"],
            name="fk_rotation_events_page_id_rotation_pages",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_rotation_events_page_id", "rotation_events", ["page_id", "id"])
    op.create_table(
        "rotation_refs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("page_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rotation_refs"),
        sa.UniqueConstraint("platform", "ref", name="uq_rotation_refs_platform_ref"),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["rotation_pages.id"],
            name="fk_rotation_refs_page_id_rotation_pages",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("rotation_refs")
    op.drop_table("rotation_events")
    op.drop_index("ix_rotation_pages_created_at", "rotation_pages")
    op.drop_table("rotation_pages")
    op.drop_table("roster")
