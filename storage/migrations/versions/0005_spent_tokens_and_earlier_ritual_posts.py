"""spent sign-in tokens and earlier ritual posts

Revision ID: 0005
Revises: 0004

spent_tokens: sign-in links already used and sessions signed out (by the SHA-256 of the token), so a
link works once and sign-out ends a session on the server. earlier_ritual_posts: a run's main post
replaced by a forced re-post, so replies in its thread still count for the run.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('spent_tokens',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=8), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_spent_tokens_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_spent_tokens'))
    )
    with op.batch_alter_table('spent_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spent_tokens_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_spent_tokens_org_id'), ['org_id'], unique=False)

    op.create_table('earlier_ritual_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('message_ref', sa.String(length=512), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_earlier_ritual_posts_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['ritual_runs.id'], name=op.f('fk_earlier_ritual_posts_run_id_ritual_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_earlier_ritual_posts'))
    )
    with op.batch_alter_table('earlier_ritual_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_earlier_ritual_posts_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_earlier_ritual_posts_ref', ['org_id', 'platform', 'message_ref'], unique=False)


def downgrade() -> None:
    op.drop_table('earlier_ritual_posts')
    op.drop_table('spent_tokens')
