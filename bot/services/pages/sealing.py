"""Page access tokens encrypted at rest: Fernet (AES-128-CBC + HMAC-SHA256) under PAGE_TOKEN_KEY.

A stolen database (or backup) then holds no usable token; the key lives in the settings only.
Generate a key with `python -m bot pages key`.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class SealError(Exception):
    """The key is malformed, or a stored token was sealed under another key."""


def new_key() -> str:
    """A fresh key for PAGE_TOKEN_KEY (url-safe base64 of 32 random bytes)."""
    return Fernet.generate_key().decode()


class TokenBox:
    """Seals and opens Page tokens under one key. Its repr never shows the key."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, TypeError):
            raise SealError(
                "PAGE_TOKEN_KEY is not a Fernet key (44 characters of url-safe base64); "
                "make one with: python -m bot pages key"
            ) from None

    def __repr__(self) -> str:
        return "TokenBox(<key hidden>)"

    def seal(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SealError("a stored Page token cannot be opened with PAGE_TOKEN_KEY (was the key changed?)") from None
