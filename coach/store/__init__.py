"""Sessions on disk: the SQLite index, append-only streams, recovery and export."""
