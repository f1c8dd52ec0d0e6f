"""cycles have a life: a planning window and a close

Revision ID: 0013
Revises: 0012

`cycles.planning_from` (when planning for the cycle opens; NULL: a default time before its start) and
`cycles.closed_at` (when its closing ended). The phase (planning, active, closing, closed) is computed
from these and the dates (bot.cycles). Existing teams get the settings of the rituals that run once per
cycle (bot.rituals.catalog: planning call, kickoff, mid-quarter review), with their default times, as an
import gives a new team.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CYCLE_RITUALS = {'planning': '10:00', 'kickoff': '10:00', 'midreview': '10:00'}  # as the catalog had them


def upgrade() -> None:
    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planning_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    for ritual, time in CYCLE_RITUALS.items():
        op.execute(
            "INSERT INTO ritual_settings (team_id, ritual, org_id, weekday, time, enabled) "
            f"SELECT id, '{ritual}', org_id, 0, '{time}', true FROM teams "
            f"WHERE NOT EXISTS (SELECT 1 FROM ritual_settings s WHERE s.team_id = teams.id AND s.ritual = '{ritual}')")


def downgrade() -> None:
    op.execute("DELETE FROM ritual_settings WHERE ritual IN ('planning', 'kickoff', 'midreview')")
    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('planning_from')
