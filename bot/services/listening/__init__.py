"""Listening: feedback, observations, urgent issues and their re-alerts, sentiment."""
