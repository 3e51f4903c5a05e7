"""The Telegram adapter: the PTB Application, handlers, roles, storage, reminders, the CLI."""
