"""Facebook Pages at the edge: a small Graph API client and the outbox's sender for Pages."""
