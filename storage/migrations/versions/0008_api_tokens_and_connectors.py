"""API tokens, idempotent API requests, pull connectors, and where a key result's value came from

Revision ID: 0008
Revises: 0007

- `api_tokens`: per-organization bearer tokens for /api/v1, stored as the SHA-256 of the secret.
- `api_requests`: the answer to each (token, Idempotency-Key), so a retried POST is stored once.
- `connectors`: a key result's pull source (sql, http, csv) with its schedule and last status.
- `connector_runs`: one row per key result and period; the unique key is what runs it exactly once.
- `key_results.value_source`: the source of the check-in that set the current value (api, connector...).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('scope', sa.String(length=8), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('hint', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_api_tokens_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('digest', name=op.f('uq_api_tokens_digest')),
    )
    op.create_index(op.f('ix_api_tokens_org_id'), 'api_tokens', ['org_id'], unique=False)
    op.create_table(
        'api_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('body', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_api_requests_token_id_api_tokens'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_requests')),
        sa.UniqueConstraint('token_id', 'key', name=op.f('uq_api_requests_token_id_key')),
    )
    op.create_index(op.f('ix_api_requests_created_at'), 'api_requests', ['created_at'], unique=False)
    op.create_table(
        'connectors',
        sa.Column('key_result_id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('spec', sa.JSON(), nullable=False),
        sa.Column('schedule', sa.String(length=16), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('last_value', sa.Float(), nullable=True),
        sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('owner_told', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['key_result_id'], ['key_results.id'],
                                name=op.f('fk_connectors_key_result_id_key_results'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_connectors_org_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key_result_id', name=op.f('pk_connectors')),
    )
    op.create_index(op.f('ix_connectors_org_id'), 'connectors', ['org_id'], unique=False)
    op.create_table(
        'connector_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('key_result_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('claimed_by', sa.String(length=128), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['key_result_id'], ['key_results.id'],
                                name=op.f('fk_connector_runs_key_result_id_key_results'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'],
                                name=op.f('fk_connector_runs_org_id_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_runs')),
        sa.UniqueConstraint('key_result_id', 'period', name=op.f('uq_connector_runs_key_result_id_period')),
    )
    op.create_index(op.f('ix_connector_runs_org_id'), 'connector_runs', ['org_id'], unique=False)
    op.create_index('ix_connector_runs_state', 'connector_runs', ['state'], unique=False)
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value_source', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.drop_column('value_source')
    op.drop_table('connector_runs')
    op.drop_table('connectors')
    op.drop_table('api_requests')
    op.drop_table('api_tokens')
