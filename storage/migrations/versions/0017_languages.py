"""languages: the organization's and each team's default, a person's own choice, an account's platform locale

Revision ID: 0017
Revises: 0016

All four are BCP 47 tags (`zh-CN`, `es`, `es-CL`) or NULL (bot.i18n chooses). `platform_accounts.locale` is
what the chat platform last reported for that account (Slack's users.info, Teams' activity.locale); an
empty string means the platform was asked and reported none, so it is not asked again.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = (('organizations', 'language'), ('teams', 'language'), ('people', 'language'),
           ('platform_accounts', 'locale'))


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.String(length=35), nullable=True))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
