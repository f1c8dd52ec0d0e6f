"""who the Slack bot is, per bot token (auth.test's answer), kept for every process

Revision ID: 0010
Revises: 0009

slack_bolt asked auth.test on each process's first request and dropped the request when Slack
answered that call 503 or 429; okrbot asks once per token and keeps the answer here
(adapters/slack/identity.py). Keyed by the token's SHA-256, never the token.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'slack_identities',
        sa.Column('token_sha256', sa.String(length=64), nullable=False),
        sa.Column('team_id', sa.String(length=32), nullable=True),
        sa.Column('enterprise_id', sa.String(length=32), nullable=True),
        sa.Column('bot_id', sa.String(length=32), nullable=True),
        sa.Column('bot_user_id', sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint('token_sha256', name=op.f('pk_slack_identities')),
    )


def downgrade() -> None:
    op.drop_table('slack_identities')
