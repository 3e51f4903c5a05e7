"""Everything sent outside a reply: the outbox, its sender, reminders, broadcast queueing."""
