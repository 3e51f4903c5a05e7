"""The chat core, free of Telegram: events in, actions out (service, turn, registry, typed buttons, roles, texts)."""
