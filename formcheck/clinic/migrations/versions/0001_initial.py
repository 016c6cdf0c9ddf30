"""Initial clinic schema: clinics, clinicians, logins, patients, sessions, sets, reps.

Revision ID: 0001
Revises:
Create Date: 2025-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "clinic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "clinician",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_index("ix_clinician_clinic_id", "clinician", ["clinic_id"])
    op.create_table(
        "patient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("approach", sa.String(length=20), nullable=False),
        sa.Column("operated_side", sa.String(length=5), nullable=False),
        sa.Column("surgery_date", sa.Date(), nullable=True),
        sa.Column("enabled_exercises", sa.JSON(), nullable=False),
        sa.Column("limit_overrides", sa.JSON(), nullable=False),
        sa.Column("dosage_sets", sa.Integer(), nullable=False),
        sa.Column("dosage_reps", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "code", name="uq_patient_clinic_code"),
    )
    op.create_index("ix_patient_clinic_id", "patient", ["clinic_id"])
    op.create_table(
        "dosage_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=True),
        sa.Column("from_sets", sa.Integer(), nullable=False),
        sa.Column("from_reps", sa.Integer(), nullable=False),
        sa.Column("to_sets", sa.Integer(), nullable=False),
        sa.Column("to_reps", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["clinician_id"], ["clinician.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dosage_change_patient_id", "dosage_change", ["patient_id"])
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("idle_timeout_s", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["clinician_id"], ["clinician.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_index("ix_login_session_clinician_id", "login_session", ["clinician_id"])
    op.create_table(
        "screening_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("store_video", sa.Boolean(), nullable=False),
        sa.Column("video_path", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["clinician_id"], ["clinician.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_screening_session_patient_id", "screening_session", ["patient_id"])
    op.create_table(
        "exercise_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("set_number", sa.Integer(), nullable=False),
        sa.Column("exercise", sa.String(length=40), nullable=False),
        sa.Column("side", sa.String(length=5), nullable=True),
        sa.Column("approach", sa.String(length=20), nullable=True),
        sa.Column("rep_count", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=True),
        sa.Column("target_reps", sa.Integer(), nullable=False),
        sa.Column("detection_rate", sa.Float(), nullable=True),
        sa.Column("view", sa.String(length=20), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=True),
        sa.Column("swelling", sa.Boolean(), nullable=False),
        sa.Column("pain_advice", sa.String(length=40), nullable=True),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("raw_result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["screening_session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "set_number", name="uq_set_session_number"),
    )
    op.create_index("ix_exercise_set_session_id", "exercise_set", ["session_id"])
    op.create_table(
        "rep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=True),
        sa.Column("end_s", sa.Float(), nullable=True),
        sa.Column("peak_deg", sa.Float(), nullable=True),
        sa.Column("hold_s", sa.Float(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("faults", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["set_id"], ["exercise_set.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rep_set_id", "rep", ["set_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_rep_set_id", table_name="rep")
    op.drop_table("rep")
    op.drop_index("ix_exercise_set_session_id", table_name="exercise_set")
    op.drop_table("exercise_set")
    op.drop_index("ix_screening_session_patient_id", table_name="screening_session")
    op.drop_table("screening_session")
    op.drop_index("ix_login_session_clinician_id", table_name="login_session")
    op.drop_table("login_session")
    op.drop_index("ix_dosage_change_patient_id", table_name="dosage_change")
    op.drop_table("dosage_change")
    op.drop_index("ix_patient_clinic_id", table_name="patient")
    op.drop_table("patient")
    op.drop_index("ix_clinician_clinic_id", table_name="clinician")
    op.drop_table("clinician")
    op.drop_table("clinic")
