"""The units' mailboxes: what is mailed (produce), and the once-only outbox that sends it (outbox)."""
