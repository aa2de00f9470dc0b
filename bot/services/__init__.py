"""Domain services: plain async functions over a session, with no platform types."""
