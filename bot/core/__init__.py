"""Floor 1, the core: neutral messages, forms, sending protocol and errors, clock, formatting.

Every floor may import it; it imports nothing of ours but storage."""
