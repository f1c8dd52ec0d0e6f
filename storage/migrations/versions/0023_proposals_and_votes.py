"""proposals for a cycle being planned, and the votes on them

Revision ID: 0023
Revises: 0022

`proposals`: an objective someone proposes while a cycle is planning (`/okr propose`), shortlisted or
merged into another by the organizers; `votes`: each person's votes in the cycle, at most the budget
(`slot` 1..budget unique per person and cycle), one per proposal (bot.services.proposals).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0023'
down_revision: Union[str, Sequence[str], None] = '0022'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('author_person_id', sa.Integer(), nullable=True),
    sa.Column('shortlisted', sa.Boolean(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_person_id'], ['people.id'], name=op.f('fk_proposals_author_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_proposals_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['proposals.id'], name=op.f('fk_proposals_merged_into_id_proposals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_proposals_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals'))
    )
    op.create_index('ix_proposals_cycle', 'proposals', ['cycle_id', 'id'], unique=False)
    op.create_index(op.f('ix_proposals_org_id'), 'proposals', ['org_id'], unique=False)
    op.create_table('votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_votes_cycle_id_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_votes_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_votes_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_votes_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votes')),
    sa.UniqueConstraint('cycle_id', 'person_id', 'slot', name=op.f('uq_votes_cycle_id_person_id_slot')),
    sa.UniqueConstraint('proposal_id', 'person_id', name=op.f('uq_votes_proposal_id_person_id'))
    )
    op.create_index(op.f('ix_votes_org_id'), 'votes', ['org_id'], unique=False)
    op.create_index(op.f('ix_votes_proposal_id'), 'votes', ['proposal_id'], unique=False)


def downgrade() -> None:
    op.drop_table('votes')
    op.drop_table('proposals')
