"""Expected problems a person can fix, separate from bugs (STYLE.md, practice 10).

A service raises `UserFacingError("invite_used")`; the error boundary looks the key up in the
text catalogue and answers in Vietnamese. Exception text itself never reaches a user.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

# Something to write although the event's transaction is rolled back, e.g. a wrong code tried.
KeptWrite = Callable[[Any], Awaitable[object]]  # called with the boundary's new session


class UserFacingError(Exception):
    """An expected refusal; `key` names a text in `handlers.texts.ERRORS`, `params` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
        self.kept: KeptWrite | None = None

    def keeping(self, write: KeptWrite) -> UserFacingError:
        """The refusal, with a write that must survive the rollback (the boundary commits it)."""
        self.kept = write
        return self
