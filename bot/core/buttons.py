"""Button data on notices: made and read in one place.

A pressed button comes back from the person's app carrying whatever data it holds, so it is
input like any other: a modified client can send anything, and an old message can carry the
data of an earlier version. Actions on notices (accept a report, acknowledge an urgent issue,
vote...) use data of the form `<area>:<verb>:<ids>`: a two-word prefix naming the action, then
one or more database ids joined by "-" (`rv:ok:12`, `pv:vote:7-0`). `cmd:run:<words>` runs a
command, as if typed (`cmd:run:baocao 2026-11`).

`parse` is the only reader of that data. Anything a current button could not have sent — an
unknown prefix, the wrong number of ids, an id that is not a plain decimal, or one larger than
the columns it is looked up in can hold (which would make PostgreSQL fail the whole event) —
raises `StaleButton`, which the dispatcher answers in plain Vietnamese and logs as a warning.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.core.errors import UserFacingError
from bot.core.numbers import MAX_KEY

COMMAND_BUTTON = "cmd:run"
ID_SEPARATOR = "-"
# Every id a button carries is an INTEGER primary key (see `numbers.MAX_KEY`).
MAX_ID = MAX_KEY
_PREFIX = re.compile(r"[a-z]+:[a-z]+")
_ID = re.compile(r"0|[1-9][0-9]{0,9}")  # ASCII only: int() would also read "١٢" or "１２"
_COMMAND = re.compile(r"[a-z]+")


class StaleButton(UserFacingError):
    """Button data that no current button sends: forged, or left from an older version."""

    def __init__(self, data: str, reason: str) -> None:
        super().__init__("stale_button")
        self.data = data
        self.reason = reason


@dataclass(frozen=True)
class Press:
    """A pressed action button: which action, and the ids it carries."""

    prefix: str
    ids: tuple[int, ...]


def button_data(prefix: str, *ids: int) -> str:
    """The data of an action button; `parse` reads it back."""
    return f"{prefix}:{ID_SEPARATOR.join(str(i) for i in ids)}"


def command_button(words: str) -> str:
    """The data of a button that runs a command ("baocao 2026-11")."""
    return f"{COMMAND_BUTTON}:{words}"


def is_action(data: str) -> bool:
    """Whether this choice is meant for an action (two words and a colon before the rest),
    rather than an option of the current step, whose values never have two colons."""
    return data.count(":") >= 2


def ids_expected(action: Callable[..., object]) -> int:
    """How many ids an action takes: its parameters after (ctx, engine)."""
    return len(inspect.signature(action).parameters) - 2


def parse(data: str, arity: Mapping[str, int]) -> Press:
    """Read action data; `arity` maps each known prefix to the number of ids its action takes."""
    prefix, tail = _split(data)
    if prefix not in arity:
        raise StaleButton(data, "unknown prefix")
    parts = tail.split(ID_SEPARATOR)
    if len(parts) != arity[prefix]:
        raise StaleButton(data, f"{len(parts)} ids where {arity[prefix]} are expected")
    return Press(prefix, tuple(_id(data, part) for part in parts))


def command_of(data: str) -> tuple[str, tuple[str, ...]] | None:
    """(command, args) of a command button; None when the data is not one."""
    prefix, tail = _split(data)
    if prefix != COMMAND_BUTTON:
        return None
    words = tail.split()
    if not words or not _COMMAND.fullmatch(words[0]):
        raise StaleButton(data, "no command")
    return words[0], tuple(words[1:])


def _split(data: str) -> tuple[str, str]:
    area, _, rest = data.partition(":")
    verb, _, tail = rest.partition(":")
    prefix = f"{area}:{verb}"
    if not _PREFIX.fullmatch(prefix):
        raise StaleButton(data, "malformed prefix")
    return prefix, tail


def _id(data: str, part: str) -> int:
    if not _ID.fullmatch(part):
        raise StaleButton(data, "an id that is not a plain number")
    value = int(part)
    if value > MAX_ID:
        raise StaleButton(data, "an id out of range")
    return value
