"""organizations have a mission statement

Revision ID: 0011
Revises: 0010

`organizations.mission`: the method's "We (value) in (field) (improving lives)", set by a company lead
with `/okr mission TEXT` or the import file's `organization.mission`; the lint advises when it is missing.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mission', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('mission')
