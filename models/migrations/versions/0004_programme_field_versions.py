"""Version columns on programmes and fields, so edits there are conflict-checked like the others.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_check_constraint(op.f('ck_fields_version_positive'), 'version >= 1')

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_check_constraint(op.f('ck_programmes_version_positive'), 'version >= 1')



def downgrade() -> None:
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_programmes_version_positive'), type_='check')
        batch_op.drop_column('version')

    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_fields_version_positive'), type_='check')
        batch_op.drop_column('version')

