"""send budgets shared by every clock process

Revision ID: 0006
Revises: 0005

One row per Slack workspace or Teams tenant: the start times of its latest sends, a pause a 429
imposed on everyone, and the rate a 429 lowered (bot.rituals.budget).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'send_budgets',
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('sent', sa.JSON(), nullable=True),
        sa.Column('paused_until', sa.Float(), nullable=True),
        sa.Column('rate', sa.Float(), nullable=True),
        sa.Column('lowered_at', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('platform', 'workspace', name=op.f('pk_send_budgets')),
    )


def downgrade() -> None:
    op.drop_table('send_budgets')
