"""key results and objectives are scored when their cycle closes

Revision ID: 0015
Revises: 0014

`key_results.score` (0.0-1.0), `score_note`, `moved_business` (the method's "did it move the
business?") and `scored_at`; `objectives.score_overridden`: its lead set the score instead of the mean
of its key results' (bot.services.scores). Existing teams get the setting of the closing ritual, which asks
each key result's owner for a score the day after the cycle ends.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO ritual_settings (team_id, ritual, org_id, weekday, time, enabled) "
        "SELECT id, 'closing', org_id, 0, '10:00', true FROM teams "
        "WHERE NOT EXISTS (SELECT 1 FROM ritual_settings s WHERE s.team_id = teams.id AND s.ritual = 'closing')")
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('score_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('moved_business', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('scored_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('objectives', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score_overridden', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.execute("DELETE FROM ritual_settings WHERE ritual = 'closing'")
    with op.batch_alter_table('objectives', schema=None) as batch_op:
        batch_op.drop_column('score_overridden')
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.drop_column('scored_at')
        batch_op.drop_column('moved_business')
        batch_op.drop_column('score_note')
        batch_op.drop_column('score')
