"""Database backends of the project's own (see ``petland/db/sqlite3``)."""
