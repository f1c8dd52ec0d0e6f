"""typed risks, help requests and remarks; why an undone P1 was not done

Revision ID: 0018
Revises: 0017

`week_notes`: what people type for the weekly report (`/okr risk`, `/okr help-needed`, `/okr remark`), kept
verbatim; a help request names its addressee (a person or a team) and keeps the answer.
`priorities.why`: the owner's answer to the Friday wrap-up's "why?" for a P1 not done (report part 2).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa



revision: str = '0018'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'week_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('week', sa.String(length=8), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('author_person_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('to_person_id', sa.Integer(), nullable=True),
        sa.Column('to_team_id', sa.Integer(), nullable=True),
        sa.Column('answer', sa.String(length=8), nullable=True),
        sa.Column('answered_by_person_id', sa.Integer(), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_week_notes_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_week_notes_team_id_teams'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_person_id'], ['people.id'],
                                name=op.f('fk_week_notes_author_person_id_people'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['to_person_id'], ['people.id'], name=op.f('fk_week_notes_to_person_id_people'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['to_team_id'], ['teams.id'], name=op.f('fk_week_notes_to_team_id_teams'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['answered_by_person_id'], ['people.id'],
                                name=op.f('fk_week_notes_answered_by_person_id_people'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_week_notes')),
    )
    with op.batch_alter_table('week_notes', schema=None) as batch_op:
        batch_op.create_index('ix_week_notes_team_week', ['team_id', 'week'], unique=False)
        batch_op.create_index(batch_op.f('ix_week_notes_org_id'), ['org_id'], unique=False)
    with op.batch_alter_table('priorities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('why', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('priorities', schema=None) as batch_op:
        batch_op.drop_column('why')
    op.drop_table('week_notes')
