"""Reminders: what is due and claimed (decide) and how it goes out (send)."""
