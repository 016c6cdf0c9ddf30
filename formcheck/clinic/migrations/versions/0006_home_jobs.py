"""Home uploads as jobs (the patient link they land through), and who resumes a local job.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("analysis_job") as batch:
        batch.add_column(sa.Column("link_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch.create_foreign_key("fk_analysis_job_link_id", "patient_link", ["link_id"],
                                 ["id"], ondelete="SET NULL")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("analysis_job") as batch:
        batch.drop_constraint("fk_analysis_job_link_id", type_="foreignkey")
        batch.drop_column("owner")
        batch.drop_column("link_id")
