"""Everything KetNoi pushes to people: the sending protocol, and (later) the outbox."""
