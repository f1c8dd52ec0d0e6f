"""ritual posts remember that they need a redraw

Revision ID: 0007
Revises: 0006

`ritual_runs.stale_since`: set in the same transaction as a change a posted ritual message shows (a
priority done or dropped, a win), cleared once the post was updated in place (bot.rituals.refresh).
A durable mark, so a post whose redraw was interrupted by a crash is redrawn after the restart.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('ritual_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stale_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_ritual_runs_stale_since', ['stale_since'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ritual_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_ritual_runs_stale_since')
        batch_op.drop_column('stale_since')
