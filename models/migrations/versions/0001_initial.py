"""Initial schema: organizations, users, programmes, fields, challenges, profiles, rounds, runs,
proposals, interests and the audit log.

Revision ID: 0001
Revises: 
Create Date: 2026-11-24
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organizations',
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('kind', sa.Enum('startup', 'sponsor', 'operator', 'partner', name='organizationkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('name_ko', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations'))
    )
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizations_slug'), ['slug'], unique=True)

    op.create_table('programmes',
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('edition_ko', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('edition_en', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_ko', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description_ko', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('selection_target', sa.Integer(), nullable=False),
    sa.Column('max_award_krw', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('selection_target >= 0', name=op.f('ck_programmes_selection_target_nonnegative')),
    sa.ForeignKeyConstraint(['operator_id'], ['organizations.id'], name=op.f('fk_programmes_operator_id_organizations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes'))
    )
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programmes_operator_id'), ['operator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_programmes_slug'), ['slug'], unique=True)

    op.create_table('startup_profiles',
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('technologies', sa.JSON(), nullable=False),
    sa.Column('stage', sa.Enum('idea', 'pre_seed', 'seed', 'series_a', 'series_b', 'series_c', 'growth', name='stage', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('founded_year', sa.Integer(), nullable=True),
    sa.Column('team_size', sa.Integer(), nullable=True),
    sa.Column('language', sa.Enum('ko', 'en', 'mixed', name='language', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('team_size IS NULL OR team_size >= 1', name=op.f('ck_startup_profiles_team_size_positive')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_startup_profiles_version_positive')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_startup_profiles_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_startup_profiles')),
    sa.UniqueConstraint('organization_id', name=op.f('uq_startup_profiles_organization_id'))
    )
    op.create_table('users',
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('role', sa.Enum('startup', 'sponsor', 'manager', 'admin', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_users_organization_id_organizations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_email'), ['email'], unique=True)
        batch_op.create_index(batch_op.f('ix_users_organization_id'), ['organization_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_events_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_entity'), ['entity'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_entity_id'), ['entity_id'], unique=False)

    op.create_table('fields',
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('name_ko', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description_ko', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('participating_company_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['participating_company_id'], ['organizations.id'], name=op.f('fk_fields_participating_company_id_organizations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_fields_programme_id_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fields')),
    sa.UniqueConstraint('programme_id', 'slug', name=op.f('uq_fields_programme_id_slug'))
    )
    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fields_programme_id'), ['programme_id'], unique=False)

    op.create_table('programme_sponsors',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('sponsor', 'partner', name='sponsorrole', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('contribution_ko', sa.Text(), nullable=False),
    sa.Column('contribution_en', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_programme_sponsors_organization_id_organizations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_sponsors_programme_id_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('programme_id', 'organization_id', name=op.f('pk_programme_sponsors'))
    )
    op.create_table('rounds',
    sa.Column('name_ko', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('opens_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('match_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('proposals_per_challenge', sa.Integer(), nullable=False),
    sa.Column('challenges_per_startup', sa.Integer(), nullable=False),
    sa.Column('min_score', sa.Float(), nullable=False),
    sa.Column('solver', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'scheduled', 'matched', 'closed', 'selected', name='roundstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('min_score >= 0 AND min_score <= 1', name=op.f('ck_rounds_min_score_unit')),
    sa.CheckConstraint('opens_at < closes_at', name=op.f('ck_rounds_opens_before_closes')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_rounds_version_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_rounds_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_rounds_programme_id_programmes'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds'))
    )
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rounds_match_at'), ['match_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rounds_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rounds_status'), ['status'], unique=False)

    op.create_table('challenges',
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('requirements', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('language', sa.Enum('ko', 'en', 'mixed', name='language', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.Column('sponsor_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', name='challengestatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity >= 1', name=op.f('ck_challenges_capacity_positive')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_challenges_version_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_challenges_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['field_id'], ['fields.id'], name=op.f('fk_challenges_field_id_fields'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['sponsor_id'], ['organizations.id'], name=op.f('fk_challenges_sponsor_id_organizations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges'))
    )
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenges_code'), ['code'], unique=True)
        batch_op.create_index(batch_op.f('ix_challenges_field_id'), ['field_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenges_sponsor_id'), ['sponsor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenges_status'), ['status'], unique=False)

    op.create_table('match_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.Enum('scheduled', 'manual', name='runtrigger', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('firing_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('status', sa.Enum('running', 'succeeded', 'failed', 'missed', name='runstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('models', sa.JSON(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('input_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('n_challenges', sa.Integer(), nullable=False),
    sa.Column('n_startups', sa.Integer(), nullable=False),
    sa.Column('n_proposals', sa.Integer(), nullable=False),
    sa.Column('timings', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('triggered_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_match_runs_round_id_rounds'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['triggered_by_id'], ['users.id'], name=op.f('fk_match_runs_triggered_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_runs')),
    sa.UniqueConstraint('firing_key', name=op.f('uq_match_runs_firing_key'))
    )
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_runs_round_id'), ['round_id'], unique=False)

    op.create_table('profile_fields',
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['field_id'], ['fields.id'], name=op.f('fk_profile_fields_field_id_fields'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['profile_id'], ['startup_profiles.id'], name=op.f('fk_profile_fields_profile_id_startup_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('profile_id', 'field_id', name=op.f('pk_profile_fields'))
    )
    with op.batch_alter_table('profile_fields', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_profile_fields_field_id'), ['field_id'], unique=False)

    op.create_table('round_fields',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['field_id'], ['fields.id'], name=op.f('fk_round_fields_field_id_fields'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_fields_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'field_id', name=op.f('pk_round_fields'))
    )
    op.create_table('interests',
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('startup_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rank >= 1', name=op.f('ck_interests_rank_positive')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_interests_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['startup_id'], ['startup_profiles.id'], name=op.f('fk_interests_startup_id_startup_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interests')),
    sa.UniqueConstraint('startup_id', 'challenge_id', name=op.f('uq_interests_startup_id_challenge_id'))
    )
    with op.batch_alter_table('interests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interests_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interests_startup_id'), ['startup_id'], unique=False)

    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('startup_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('components', sa.JSON(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'shortlisted', 'rejected', 'invited', 'accepted', 'declined', 'selected', name='proposalstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('shortlist_rank', sa.Integer(), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('rank >= 1', name=op.f('ck_proposals_rank_positive')),
    sa.CheckConstraint('score >= 0 AND score <= 1', name=op.f('ck_proposals_score_unit')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_proposals_challenge_id_challenges'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['match_runs.id'], name=op.f('fk_proposals_run_id_match_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['startup_id'], ['startup_profiles.id'], name=op.f('fk_proposals_startup_id_startup_profiles'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals')),
    sa.UniqueConstraint('run_id', 'challenge_id', 'startup_id', name=op.f('uq_proposals_run_id_challenge_id_startup_id'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_startup_id'), ['startup_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_status'))
        batch_op.drop_index(batch_op.f('ix_proposals_startup_id'))
        batch_op.drop_index(batch_op.f('ix_proposals_run_id'))
        batch_op.drop_index(batch_op.f('ix_proposals_challenge_id'))

    op.drop_table('proposals')
    with op.batch_alter_table('interests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interests_startup_id'))
        batch_op.drop_index(batch_op.f('ix_interests_challenge_id'))

    op.drop_table('interests')
    op.drop_table('round_fields')
    with op.batch_alter_table('profile_fields', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_profile_fields_field_id'))

    op.drop_table('profile_fields')
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_runs_round_id'))

    op.drop_table('match_runs')
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenges_status'))
        batch_op.drop_index(batch_op.f('ix_challenges_sponsor_id'))
        batch_op.drop_index(batch_op.f('ix_challenges_field_id'))
        batch_op.drop_index(batch_op.f('ix_challenges_code'))

    op.drop_table('challenges')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rounds_status'))
        batch_op.drop_index(batch_op.f('ix_rounds_programme_id'))
        batch_op.drop_index(batch_op.f('ix_rounds_match_at'))

    op.drop_table('rounds')
    op.drop_table('programme_sponsors')
    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fields_programme_id'))

    op.drop_table('fields')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_entity_id'))
        batch_op.drop_index(batch_op.f('ix_events_entity'))
        batch_op.drop_index(batch_op.f('ix_events_actor_id'))

    op.drop_table('events')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_organization_id'))
        batch_op.drop_index(batch_op.f('ix_users_email'))

    op.drop_table('users')
    op.drop_table('startup_profiles')
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programmes_slug'))
        batch_op.drop_index(batch_op.f('ix_programmes_operator_id'))

    op.drop_table('programmes')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizations_slug'))

    op.drop_table('organizations')
