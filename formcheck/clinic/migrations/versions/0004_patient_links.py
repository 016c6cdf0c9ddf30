"""Patient links (a patient's personal programme link), their page sessions, home sessions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "patient_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=True),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["clinician_id"], ["clinician.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_index("ix_patient_link_patient_id", "patient_link", ["patient_id"])
    op.create_table(
        "link_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["link_id"], ["patient_link.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_index("ix_link_session_link_id", "link_session", ["link_id"])
    with op.batch_alter_table("patient") as batch:
        batch.add_column(sa.Column("home_video_allowed", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("screening_session") as batch:
        batch.add_column(sa.Column("source", sa.String(length=10), nullable=False,
                                   server_default="clinic"))
        batch.add_column(sa.Column("link_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_screening_session_link_id", "patient_link", ["link_id"],
                                 ["id"], ondelete="SET NULL")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("screening_session") as batch:
        batch.drop_constraint("fk_screening_session_link_id", type_="foreignkey")
        batch.drop_column("link_id")
        batch.drop_column("source")
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("home_video_allowed")
    op.drop_index("ix_link_session_link_id", table_name="link_session")
    op.drop_table("link_session")
    op.drop_index("ix_patient_link_patient_id", table_name="patient_link")
    op.drop_table("patient_link")
