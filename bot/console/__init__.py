"""The console adapter: the same conversation in a terminal, on the same storage."""
