"""Facebook Pages linked to units: their encrypted tokens, and the journal of what we posted.

A Page link is a `LinkedChat` of platform "facebook", so broadcasts reach Pages through the same
audience, outbox, ledger and statuses as groups and channels; only the token and the journal
are the Pages' own (`storage.models.PageToken`, `PagePost`).
"""

PLATFORM = "facebook"
