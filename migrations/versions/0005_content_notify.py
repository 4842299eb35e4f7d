"""content changes notified: on PostgreSQL the content_state trigger also sends NOTIFY shapekb_content

Every process serving pages LISTENs on that channel (kb.cache.ContentWatch) and keeps its own copy of
the content version, instead of reading the row on every request. The payload is empty on purpose:
PostgreSQL folds identical notifications of one transaction into one, so a sync that writes thousands
of rows sends a single notification at its commit. SQLite has no notifications: nothing changes there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 21:40:00

"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CHANNEL = "shapekb_content"  # kb.cache.NOTIFY_CHANNEL (a test compares them)
EPOCH_NOW = "extract(epoch from clock_timestamp())"


def _bump(notify: bool) -> str:
    return f"""CREATE OR REPLACE FUNCTION content_state_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE content_state SET version = version + 1, changed_at = {EPOCH_NOW} WHERE id = 1;
        {f"PERFORM pg_notify('{CHANNEL}', '');" if notify else ""}
        RETURN NULL;
    END $$"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_bump(notify=True))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_bump(notify=False))
