"""Expected problems a person can fix, separate from bugs (STYLE.md, practice 10).

A service raises `UserFacingError("invite_used")`; the error boundary looks the key up in the
text catalogue and answers in Vietnamese. Exception text itself never reaches a user.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An expected refusal; `key` names a text in `handlers.texts.ERRORS`, `params` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
