"""closing the quarter: objectives' why, removed and carried key results, retrospective lessons

Revision ID: 0020
Revises: 0019

`objectives.why` (the kickoff says why each objective was set so); `key_results.removed_at` and
`removed_reason` (an honest change takes a key result out of a running cycle and keeps it);
`key_results.carried_from_id` (`/okr carry`); the `lessons` table (replies in a retrospective thread).
Existing teams get the setting of the retrospective ritual, posted the day after a cycle's last day.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0020'
down_revision: Union[str, Sequence[str], None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO ritual_settings (team_id, ritual, org_id, weekday, time, enabled) "
        "SELECT id, 'retro', org_id, 0, '11:00', true FROM teams "
        "WHERE NOT EXISTS (SELECT 1 FROM ritual_settings s WHERE s.team_id = teams.id AND s.ritual = 'retro')")
    with op.batch_alter_table('objectives', schema=None) as batch_op:
        batch_op.add_column(sa.Column('why', sa.Text(), nullable=True))
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('removed_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('carried_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_key_results_carried_from_id_key_results'), 'key_results', ['carried_from_id'], ['id'],
                                    ondelete='SET NULL')
    op.create_table(
        'lessons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('text', sa.String(length=2000), nullable=False),
        sa.Column('author_person_id', sa.Integer(), nullable=True),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('message_id', sa.String(length=256), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_lessons_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_lessons_cycle_id_cycles'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_lessons_team_id_teams'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_person_id'], ['people.id'], name=op.f('fk_lessons_author_person_id_people'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lessons')),
        sa.UniqueConstraint('org_id', 'platform', 'message_id', name=op.f('uq_lessons_org_id_platform_message_id')),
    )
    op.create_index('ix_lessons_cycle', 'lessons', ['cycle_id'])
    op.create_index(op.f('ix_lessons_org_id'), 'lessons', ['org_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_lessons_org_id'), table_name='lessons')
    op.drop_index('ix_lessons_cycle', table_name='lessons')
    op.drop_table('lessons')
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_key_results_carried_from_id_key_results'), type_='foreignkey')
        batch_op.drop_column('carried_from_id')
        batch_op.drop_column('removed_reason')
        batch_op.drop_column('removed_at')
    with op.batch_alter_table('objectives', schema=None) as batch_op:
        batch_op.drop_column('why')
    op.execute("DELETE FROM ritual_settings WHERE ritual = 'retro'")
