"""Reviews (复核) in the decision log.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the review table beside the scoring decisions."""
    op.create_table(
        "reviews",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("policy_id", sa.String(100), nullable=False),
        sa.Column("policy_version", sa.String(50), nullable=False),
        sa.Column("policy_digest", sa.String(64), nullable=False),
        sa.Column("facts_digest", sa.String(64), nullable=False),
        sa.Column("review_digest", sa.String(64), nullable=False),
        sa.Column("agrees", sa.Boolean(), nullable=False),
        sa.Column("verdict", sa.String(200), nullable=False),
        sa.Column("difference", sa.String(40), nullable=True),
        sa.Column("computed_total", sa.String(40), nullable=False),
        sa.Column("adjusted_total", sa.String(40), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("adjustments", sa.Text(), nullable=True),
        sa.Column("review", sa.Text(), nullable=False),
    )
    op.create_index("ix_reviews_created_at", "reviews", ["created_at"])
    op.create_index("ix_reviews_policy_id", "reviews", ["policy_id"])
    op.create_index("ix_reviews_facts_digest", "reviews", ["facts_digest"])


def downgrade() -> None:
    """Drop the review table."""
    op.drop_index("ix_reviews_facts_digest", "reviews")
    op.drop_index("ix_reviews_policy_id", "reviews")
    op.drop_index("ix_reviews_created_at", "reviews")
    op.drop_table("reviews")
