"""inbox: form submissions and slash commands handled once per key

Revision ID: 0004
Revises: 0003

One row per key a platform gives a sending (Slack view id and hash, a slash command's trigger_id, a
Teams form token, a sandbox form). A slash command acknowledged before its work was done keeps its
payload here until some process finishes it (done_at set in the same transaction as the work).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox')),
    sa.UniqueConstraint('key', name=op.f('uq_inbox_key'))
    )
    op.create_index('ix_inbox_done_at', 'inbox', ['done_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_inbox_done_at', table_name='inbox')
    op.drop_table('inbox')
