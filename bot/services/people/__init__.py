"""People and units: accounts, roles, invites, linking, housekeeping."""
