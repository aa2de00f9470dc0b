"""Answer types of a flow step: each turns what a person sent into a value, or says why not.

The same parser serves both platforms: a pressed button (Telegram) arrives as `choice`, a typed
number or option text (Zalo, or a Telegram user who types) as `text`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.errors import UserFacingError
from bot.core.messages import Choice, Incoming
from bot.core.numbers import NumberError, option_number, parse_whole, show_number
from bot.core.storable import storable
from bot.services.people.units import fold


class InvalidAnswer(Exception):
    """The answer cannot be used; `key` names a text in `texts.ANSWER_ERRORS`.

    `choices`, when given, replace the step's own options in the re-prompt (e.g. the units
    that matched an ambiguous search).
    """

    def __init__(self, key: str, *, choices: Sequence[Choice] = (), **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
        self.choices = tuple(choices)


class AnswerType(Protocol):
    def options(self, answers: dict[str, Any]) -> tuple[Choice, ...]: ...

    async def parse(self, incoming: Incoming, answers: dict[str, Any], context: Any) -> Any: ...


@dataclass(frozen=True)
class Number:
    """A whole number within bounds, read as Vietnamese write it (`bot.core.numbers`)."""

    minimum: int = 0
    maximum: int = 1_000_000

    def options(self, answers: dict[str, Any]) -> tuple[Choice, ...]:
        return ()

    async def parse(self, incoming: Incoming, answers: dict[str, Any], context: Any) -> int:
        try:
            value = parse_whole(incoming.text or "")
        except NumberError as problem:
            raise InvalidAnswer(problem.key, **problem.params) from None
        if value < self.minimum:
            raise InvalidAnswer("too_small", minimum=show_number(self.minimum))
        if value > self.maximum:
            raise InvalidAnswer("too_large", maximum=show_number(self.maximum))
        return value


@dataclass(frozen=True)
class Text:
    """Free text with a length limit; surrounding spaces trimmed."""

    maximum: int = 1000
    minimum: int = 1

    def options(self, answers: dict[str, Any]) -> tuple[Choice, ...]:
        return ()

    async def parse(self, incoming: Incoming, answers: dict[str, Any], context: Any) -> str:
        if incoming.text is None:
            raise InvalidAnswer("need_text")
        text = incoming.text.strip()
        if not text:
            raise InvalidAnswer("empty")
        if len(text) < self.minimum:  # "you typed nothing" would be false: say how much is needed
            raise InvalidAnswer("too_short", minimum=self.minimum)
        if len(text) > self.maximum:
            raise InvalidAnswer("too_long", length=len(text), maximum=self.maximum)
        return text


def typed_text(answer: Text, text: str) -> str:
    """Text typed outside a chat step (a web console form), held to that step's own rule."""
    cleaned = storable(text).strip()
    if not cleaned:
        raise UserFacingError("text_empty")
    if len(cleaned) < answer.minimum:
        raise UserFacingError("text_too_short", minimum=answer.minimum)
    if len(cleaned) > answer.maximum:
        raise UserFacingError("text_too_long", length=len(cleaned), maximum=answer.maximum)
    return cleaned


@dataclass(frozen=True)
class OneOf:
    """One option from a fixed or computed list.

    Matches a pressed button's value, the option's number ("2"), or its label typed with or
    without diacritics ("dong y" for "Đồng ý").
    """

    choices: tuple[Choice, ...] | Callable[[dict[str, Any]], Sequence[Choice]]

    def options(self, answers: dict[str, Any]) -> tuple[Choice, ...]:
        if callable(self.choices):
            return tuple(self.choices(answers))
        return self.choices

    async def parse(self, incoming: Incoming, answers: dict[str, Any], context: Any) -> str:
        options = self.options(answers)
        return match_choice(incoming, options)


def match_choice(incoming: Incoming, options: Sequence[Choice]) -> str:
    """The value of the option the person chose, or `InvalidAnswer('unknown_choice')`."""
    if incoming.choice is not None:
        for option in options:
            if option.value == incoming.choice:
                return option.value
        raise InvalidAnswer("unknown_choice")
    text = (incoming.text or "").strip()
    number = option_number(text)
    if number is not None and 1 <= number <= len(options):
        return options[number - 1].value
    folded = fold(text)
    for option in options:
        if folded and folded in (fold(option.label), fold(option.value)):
            return option.value
    raise InvalidAnswer("unknown_choice")
