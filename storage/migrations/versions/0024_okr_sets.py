"""a team's drafted OKRs for a cycle being planned, on their way to approval

Revision ID: 0024
Revises: 0023

`okr_sets`: one per team and cycle: drafting, submitted to the lead of the team above, returned with a
note, approved (bot.services.drafts). The objectives themselves are `objectives` rows with status draft,
then approved.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0024'
down_revision: Union[str, Sequence[str], None] = '0023'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('okr_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_okr_sets_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['people.id'], name=op.f('fk_okr_sets_decided_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_okr_sets_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['people.id'], name=op.f('fk_okr_sets_submitted_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_okr_sets_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_okr_sets')),
    sa.UniqueConstraint('cycle_id', 'team_id', name=op.f('uq_okr_sets_cycle_id_team_id'))
    )
    op.create_index(op.f('ix_okr_sets_org_id'), 'okr_sets', ['org_id'], unique=False)
    op.create_index(op.f('ix_okr_sets_team_id'), 'okr_sets', ['team_id'], unique=False)


def downgrade() -> None:
    op.drop_table('okr_sets')
