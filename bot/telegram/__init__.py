"""The python-telegram-bot adapter: the Application, handlers, sending, menus, concurrency, rate limits, runner."""
