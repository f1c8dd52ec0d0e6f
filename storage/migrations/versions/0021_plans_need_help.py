"""plans name who they need preparation or support from

Revision ID: 0021
Revises: 0020

`plans.needs_person_id`, `plans.needs_team_id`: `/okr plan TEXT needs @person|TEAM`; the clock tells that person
(or the team's leads) once.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0021'
down_revision: Union[str, Sequence[str], None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('needs_team_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_plans_needs_person_id_people', 'people', ['needs_person_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key('fk_plans_needs_team_id_teams', 'teams', ['needs_team_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_constraint('fk_plans_needs_team_id_teams', type_='foreignkey')
        batch_op.drop_constraint('fk_plans_needs_person_id_people', type_='foreignkey')
        batch_op.drop_column('needs_team_id')
        batch_op.drop_column('needs_person_id')
