"""Analysis jobs that land in a patient's record (clinic uploads), and a time limit per job.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("analysis_job") as batch:
        batch.add_column(sa.Column("timeout_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("clinician_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("set_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("keep_video_dir", sa.Text(), nullable=True))
        batch.add_column(sa.Column("overrides", sa.JSON(), nullable=True))
        batch.create_foreign_key("fk_analysis_job_session_id", "screening_session",
                                 ["session_id"], ["id"], ondelete="CASCADE")
        batch.create_foreign_key("fk_analysis_job_clinician_id", "clinician",
                                 ["clinician_id"], ["id"], ondelete="SET NULL")
        batch.create_foreign_key("fk_analysis_job_set_id", "exercise_set", ["set_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_index("ix_analysis_job_session_id", ["session_id"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("analysis_job") as batch:
        batch.drop_index("ix_analysis_job_session_id")
        batch.drop_constraint("fk_analysis_job_set_id", type_="foreignkey")
        batch.drop_constraint("fk_analysis_job_clinician_id", type_="foreignkey")
        batch.drop_constraint("fk_analysis_job_session_id", type_="foreignkey")
        for column in ("overrides", "keep_video_dir", "set_id", "clinician_id", "session_id",
                       "timeout_s"):
            batch.drop_column(column)
