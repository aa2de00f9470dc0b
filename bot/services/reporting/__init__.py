"""Reports: periods and deadlines, filing and review, roll-up, export, charts."""
