"""Pseudonyms for chat ids in log lines.

A log line names no person (issue #15: nothing personal in any label or log), yet an operator
must still tell one chat's failures from another's and follow one chat through a run. So a chat
id is logged as a keyed hash under a key made at start and never stored: lines about one chat
agree within one process's run, and nothing in the log leads back to an account.
"""

from __future__ import annotations

import hashlib
import secrets

_KEY = secrets.token_bytes(16)


def chat_ref(chat_id: object) -> str:
    """`chat-` and ten hex digits, the same for the same chat id within this process."""
    return "chat-" + hashlib.blake2b(str(chat_id).encode(), key=_KEY, digest_size=5).hexdigest()
