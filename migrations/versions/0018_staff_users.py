"""staff users: the people who sign in to the web pages (role, home store, argon2id password
hash), and the sign-in throttle counters per username and per client address

Revision ID: 0018_staff_users
Revises: 0017_refund_settlement
Create Date: 2026-12-05 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0018_staff_users"
down_revision = "0017_refund_settlement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("location_code", sa.String(length=40), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.Column("last_signed_in_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("role IN ('store', 'cs', 'admin')",
                           name=op.f("ck_core_staff_users_known_role")),
        sa.CheckConstraint("role <> 'store' OR location_code IS NOT NULL",
                           name=op.f("ck_core_staff_users_store_has_location")),
        sa.CheckConstraint("role <> 'admin' OR location_code IS NULL",
                           name=op.f("ck_core_staff_users_admin_everywhere")),
        sa.CheckConstraint("username = lower(username)",
                           name=op.f("ck_core_staff_users_username_lowercase")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_core_staff_users_username")),
    )
    op.create_table(
        "core_signin_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_signin_throttle")),
        sa.UniqueConstraint("scope", "key", name="uq_core_signin_throttle_scope_key"),
    )
    with op.batch_alter_table("core_signin_throttle", schema=None) as batch_op:
        batch_op.create_index("ix_core_signin_throttle_last_failed_at", ["last_failed_at"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("core_signin_throttle")
    op.drop_table("core_staff_users")
