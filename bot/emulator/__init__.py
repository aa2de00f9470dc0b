"""Local emulators of the messaging platforms, so tests and the offline demo never touch the real services."""
