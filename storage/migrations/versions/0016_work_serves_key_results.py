"""priorities and plans name the key result they serve

Revision ID: 0016
Revises: 0015

`priorities.key_result_id`, `plans.key_result_id`: the key result a piece of the week's work moves
forward (`/okr priority add P1 rd-o1-kr3 ...`); NULL when it serves none, which the four-square and
the status report count (the method's failure factor ④, work that deviated from the goal).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('priorities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_result_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_priorities_key_result_id', ['key_result_id'], unique=False)
        batch_op.create_foreign_key('fk_priorities_key_result_id_key_results', 'key_results', ['key_result_id'],
                                    ['id'], ondelete='SET NULL')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_result_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_plans_key_result_id_key_results', 'key_results', ['key_result_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_constraint('fk_plans_key_result_id_key_results', type_='foreignkey')
        batch_op.drop_column('key_result_id')
    with op.batch_alter_table('priorities', schema=None) as batch_op:
        batch_op.drop_constraint('fk_priorities_key_result_id_key_results', type_='foreignkey')
        batch_op.drop_index('ix_priorities_key_result_id')
        batch_op.drop_column('key_result_id')
