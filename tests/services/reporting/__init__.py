"""Tests of reports, roll-up, export and charts."""
