"""ritual runs remember which of their messages went out

Revision ID: 0003
Revises: 0002

A ritual run can be several messages (the Monday post plus each owner's direct message, the report
to each lead). `delivered` maps each message's key to its reference once it is sent, or to
"sending" while it is being sent, so a run resumed after a crash sends only what is missing.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('ritual_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivered', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ritual_runs', schema=None) as batch_op:
        batch_op.drop_column('delivered')
