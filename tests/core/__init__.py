"""Tests of the core floor."""
