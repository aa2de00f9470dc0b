"""One module per page of the menu (`bot.console.nav`); each adds its routes to the console app."""

from __future__ import annotations

from bot.console.pages import audit_log, content, listening, overview, people, reports

PAGES = (overview, reports, content, listening, people, audit_log)
