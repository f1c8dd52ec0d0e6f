"""changes to a cycle's OKRs are kept, with their reasons

Revision ID: 0014
Revises: 0013

`okr_changes`: one row per changed field of an objective or key result (title, target, start, unit) or
key result added to a running cycle, with who, why and where from; appended, never updated (bot.changes).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('okr_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=True),
    sa.Column('key_result_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('field', sa.String(length=16), nullable=False),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('batch', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_okr_changes_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['key_result_id'], ['key_results.id'], name=op.f('fk_okr_changes_key_result_id_key_results'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['objective_id'], ['objectives.id'], name=op.f('fk_okr_changes_objective_id_objectives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_okr_changes_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_okr_changes_person_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_okr_changes'))
    )
    op.create_index('ix_okr_changes_kr', 'okr_changes', ['key_result_id'], unique=False)
    op.create_index('ix_okr_changes_batch', 'okr_changes', ['org_id', 'batch'], unique=False)
    op.create_index(op.f('ix_okr_changes_org_id'), 'okr_changes', ['org_id'], unique=False)
    op.create_index(op.f('ix_okr_changes_objective_id'), 'okr_changes', ['objective_id'], unique=False)


def downgrade() -> None:
    op.drop_table('okr_changes')
