"""Zalo events kept on disk from the moment we accept them until they are handled.

Zalo's webhook wants a quick answer and its retries are undocumented; `getUpdates` forgets an
event once it handed it out. So each private-chat event is written (and fsync'ed) to a file
before Zalo gets its 200, handled afterwards, and only then deleted: if the process stops in
between, the next start handles what is left. Handling twice is harmless, because the
dispatcher claims each event's key (event name + message id) in the same transaction as its
effects. File names sort in arrival order. Group messages never come here: they are not stored.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time
from pathlib import Path
from typing import Any


class Inbox:
    """A directory of pending events, one JSON file each."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count()

    def put(self, event: dict[str, Any]) -> Path:
        """Write the event durably; returns its file (blocking: run it in a thread)."""
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(self._counter):06d}"
        tmp = self.directory / f"{name}.tmp"
        path = self.directory / f"{name}.json"
        with open(tmp, "w", encoding="utf-8") as handle:
            # ASCII escapes: a lone surrogate in a person's text has no UTF-8 form, but "\\ud800" does.
            json.dump(event, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_directory(self.directory)
        return path

    def pending(self) -> list[Path]:
        """Events accepted but not yet handled, oldest first."""
        return sorted(self.directory.glob("*.json"))

    def read(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def done(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
