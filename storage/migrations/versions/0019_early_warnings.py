"""early warnings: a key result dropping by 2 or into red, a health metric turning red, told to the leads

Revision ID: 0019
Revises: 0018

One row per subject (a key result or a health metric) and week, so a flapping value warns once a week, never
a storm; the leads' response plan is kept on it and shown on the next Monday post.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0019'
down_revision: Union[str, Sequence[str], None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'early_warnings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('week', sa.String(length=8), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('before', sa.String(length=8), nullable=True),
        sa.Column('after', sa.String(length=8), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('plan', sa.String(length=500), nullable=True),
        sa.Column('plan_by_person_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_early_warnings_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_early_warnings_team_id_teams'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_early_warnings_person_id_people'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['plan_by_person_id'], ['people.id'],
                                name=op.f('fk_early_warnings_plan_by_person_id_people'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_early_warnings')),
        sa.UniqueConstraint('kind', 'subject_id', 'week', name=op.f('uq_early_warnings_kind_subject_id_week')),
    )
    with op.batch_alter_table('early_warnings', schema=None) as batch_op:
        batch_op.create_index('ix_early_warnings_team_week', ['team_id', 'week'], unique=False)
        batch_op.create_index(batch_op.f('ix_early_warnings_org_id'), ['org_id'], unique=False)


def downgrade() -> None:
    op.drop_table('early_warnings')
