"""SQLite storage: one synchronous query API used inside transactions, numbered migrations."""
