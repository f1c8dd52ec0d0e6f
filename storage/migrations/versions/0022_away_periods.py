"""away periods: a person on holiday is not nudged nor flagged, and a delegate may check in for them

Revision ID: 0022
Revises: 0021

`/okr away 2026-12-21..2027-01-04 [delegate @person]`: one row per period, dates in the person's team's zone,
both days included.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0022'
down_revision: Union[str, Sequence[str], None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'away_periods',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('start', sa.Date(), nullable=False),
        sa.Column('end', sa.Date(), nullable=False),
        sa.Column('delegate_person_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_away_periods_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_away_periods_person_id_people'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['delegate_person_id'], ['people.id'],
                                name=op.f('fk_away_periods_delegate_person_id_people'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_away_periods')),
    )
    with op.batch_alter_table('away_periods', schema=None) as batch_op:
        batch_op.create_index('ix_away_periods_person_end', ['person_id', 'end'], unique=False)
        batch_op.create_index(batch_op.f('ix_away_periods_org_id'), ['org_id'], unique=False)


def downgrade() -> None:
    op.drop_table('away_periods')
