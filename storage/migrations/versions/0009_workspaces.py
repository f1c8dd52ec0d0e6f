"""workspaces in one table, one row per (platform, workspace id), instead of a column per platform

Revision ID: 0009
Revises: 0008

`organizations.slack_team_id` and `organizations.teams_tenant_id` become rows of `workspaces`
(platform, workspace_id, org_id), so a new platform needs no new column (bot.platforms). The rows are
copied both ways; a downgrade keeps the Slack and Teams workspaces (other platforms had no column).
On SQLite the organizations table is rebuilt (batch mode), which storage.migrate does with foreign
keys off: dropping the old table would otherwise cascade into every table that refers to it.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = {'slack': 'slack_team_id', 'teams': 'teams_tenant_id'}


def upgrade() -> None:
    op.create_table('workspaces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('workspace_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_workspaces_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspaces')),
    sa.UniqueConstraint('org_id', 'platform', name=op.f('uq_workspaces_org_id_platform')),
    sa.UniqueConstraint('platform', 'workspace_id', name=op.f('uq_workspaces_platform_workspace_id'))
    )
    for platform, column in COLUMNS.items():
        op.execute(f"INSERT INTO workspaces (org_id, platform, workspace_id) "
                   f"SELECT id, '{platform}', {column} FROM organizations WHERE {column} IS NOT NULL")
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        for column in COLUMNS.values():
            batch_op.drop_constraint(f'uq_organizations_{column}', type_='unique')
            batch_op.drop_column(column)


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        for column in COLUMNS.values():
            batch_op.add_column(sa.Column(column, sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(f'uq_organizations_{column}', [column])
    for platform, column in COLUMNS.items():
        op.execute(f"UPDATE organizations SET {column} = (SELECT workspace_id FROM workspaces "
                   f"WHERE workspaces.org_id = organizations.id AND workspaces.platform = '{platform}')")
    op.drop_table('workspaces')
