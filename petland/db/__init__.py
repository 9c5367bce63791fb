"""The project's model fields (``petland.db.fields``); its database backend is ``petland.speedups.sqlite3``."""
