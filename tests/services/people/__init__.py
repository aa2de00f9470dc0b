"""Tests of people, units, linking and housekeeping."""
