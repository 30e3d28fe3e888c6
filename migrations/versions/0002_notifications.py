"""notifications: the push outbox and the devices that receive it

Revision ID: 0002_notifications
Revises: 0001_foundation
Create Date: 2026-11-26 00:30:00

Written by hand to match notifications/{outbox,devices}.py; no foreign keys: journeys and
steps are referred to by id only, so notifications never depends on navigation's tables.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_notifications'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.String(length=36), nullable=False),
        sa.Column('journey_id', sa.BigInteger(), nullable=False),
        sa.Column('step_id', sa.String(length=64), nullable=True),
        sa.Column('event', sa.String(length=32), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.String(length=200), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lease_owner', sa.String(length=64), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acknowledged', sa.JSON(), nullable=False),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id'),
    )
    op.create_index('ix_notification_outbox_due', 'notification_outbox', ['status', 'next_attempt_at'])
    op.create_index('ix_notification_outbox_journey_id', 'notification_outbox', ['journey_id'])

    op.create_table(
        'notification_devices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('journey_id', sa.BigInteger(), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('token', sa.String(length=1024), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('journey_id', 'channel', 'token'),
    )
    op.create_index('ix_notification_devices_journey_id', 'notification_devices', ['journey_id'])
    # Dead tokens are forgotten by (channel, token) across journeys.
    op.create_index('ix_notification_devices_token', 'notification_devices', ['channel', 'token'])


def downgrade():
    op.drop_index('ix_notification_devices_token', table_name='notification_devices')
    op.drop_index('ix_notification_devices_journey_id', table_name='notification_devices')
    op.drop_table('notification_devices')
    op.drop_index('ix_notification_outbox_journey_id', table_name='notification_outbox')
    op.drop_index('ix_notification_outbox_due', table_name='notification_outbox')
    op.drop_table('notification_outbox')
