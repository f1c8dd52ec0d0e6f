"""set-up in chat: the organization's installer, and teams whose membership follows their channel

Revision ID: 0012
Revises: 0011

`organizations.installer_id`: the person who installed okrbot in chat and walks the set-up
(bot.services.setup). `teams.follows_channel`: who joins or leaves the team's bound channel joins or
leaves the team.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('organizations') as batch:
        batch.add_column(sa.Column('installer_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('teams') as batch:
        batch.add_column(sa.Column('follows_channel', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('teams') as batch:
        batch.drop_column('follows_channel')
    with op.batch_alter_table('organizations') as batch:
        batch.drop_column('installer_id')
