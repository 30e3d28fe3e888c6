"""queues: room lines, their entries and event history, learned service times

Revision ID: 0003_queues
Revises: 0002_notifications
Create Date: 2026-11-26 00:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003_queues'
down_revision = '0002_notifications'
branch_labels = None
depends_on = None

ENTRY_STATUS = sa.Enum(
    'waiting', 'called', 'in_service', 'done', 'no_show', 'skipped', 'on_hold',
    name='queue_entry_status', native_enum=False, create_constraint=True, length=16,
)


def upgrade():
    op.create_table('room_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('ticket_day', sa.String(length=10), nullable=True),
    sa.Column('last_ticket', sa.Integer(), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pause_reason', sa.String(length=400), nullable=True),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_room_queue_room_id_room'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_room_queue_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_queue')),
    sa.UniqueConstraint('room_id', name=op.f('uq_room_queue_room_id'))
    )
    with op.batch_alter_table('room_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_queue_site_id'), ['site_id'], unique=False)

    op.create_table('service_time',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('service_key', sa.String(length=64), nullable=False),
    sa.Column('avg_minutes', sa.Float(), nullable=False),
    sa.Column('samples', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_service_time_room_id_room'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_time')),
    sa.UniqueConstraint('room_id', 'service_key', name=op.f('uq_service_time_room_id'))
    )

    op.create_table('queue_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('ticket', sa.String(length=16), nullable=False),
    sa.Column('status', ENTRY_STATUS, nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('order_key', sa.Float(), nullable=False),
    sa.Column('desk', sa.Integer(), nullable=True),
    sa.Column('recalls', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('grace_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('turn_soon_sent', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], name=op.f('fk_queue_entry_journey_id_journey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['queue_id'], ['room_queue.id'], name=op.f('fk_queue_entry_queue_id_room_queue'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_queue_entry_site_id_site'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_queue_entry_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_entry'))
    )
    with op.batch_alter_table('queue_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_entry_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_queue_entry_queue_id'), ['queue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_queue_entry_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_queue_entry_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_queue_entry_task_id'), ['task_id'], unique=False)

    op.create_table('queue_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=400), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('version_after', sa.Integer(), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_queue_event_actor_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['queue_entry.id'], name=op.f('fk_queue_event_entry_id_queue_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['queue_id'], ['room_queue.id'], name=op.f('fk_queue_event_queue_id_room_queue'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['undone_by_id'], ['queue_event.id'], name=op.f('fk_queue_event_undone_by_id_queue_event'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_event'))
    )
    with op.batch_alter_table('queue_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_event_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_queue_event_queue_id'), ['queue_id'], unique=False)


def downgrade():
    with op.batch_alter_table('queue_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_event_queue_id'))
        batch_op.drop_index(batch_op.f('ix_queue_event_entry_id'))
    op.drop_table('queue_event')
    with op.batch_alter_table('queue_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_entry_task_id'))
        batch_op.drop_index(batch_op.f('ix_queue_entry_status'))
        batch_op.drop_index(batch_op.f('ix_queue_entry_site_id'))
        batch_op.drop_index(batch_op.f('ix_queue_entry_queue_id'))
        batch_op.drop_index(batch_op.f('ix_queue_entry_journey_id'))
    op.drop_table('queue_entry')
    op.drop_table('service_time')
    with op.batch_alter_table('room_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_queue_site_id'))
    op.drop_table('room_queue')
