"""The command catalogue: each command, its Vietnamese alias, who may use it, what it runs.

`/help` and the Telegram command menu are generated from this table, so a person is only ever
shown what their role allows; `dispatch` enforces the same table, and the services check
permissions again on their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.messages import CommandMenuEntry, Outgoing
from bot.services.people.people import Actor
from bot.services.people.units import fold
from handlers import texts
from handlers.flow import Context, FlowEngine

CommandRun = Callable[[Context, FlowEngine], Awaitable[list[Outgoing]]]

EVERYONE = None  # no restriction, not even registration
REGISTERED = frozenset()  # any registered person


@dataclass(frozen=True)
class Command:
    """`roles`: EVERYONE, REGISTERED, or the set of roles allowed to run it."""

    name: str
    alias: str
    roles: frozenset[str] | None
    run: CommandRun
    description: str
    manages_flow: bool = False  # starts, cancels or moves a flow: no "you are still on step" re-prompt
    in_menu: bool = True
    # Plain words that run the command for people who do not type slashes ("báo cáo"): a message
    # that is exactly one of them, ignoring case and diacritics. Only when no question waits,
    # unless `in_flows` (hủy, quay lại).
    phrases: tuple[str, ...] = ()
    in_flows: bool = False
    # Its reply, when it offers options, is a question of its own (a poll shown again): the step
    # in progress is not asked again after it, so that on Zalo the numbers answer this reply.
    # The step is asked again once the reply is answered.
    own_question: bool = False

    def allowed(self, actor: Actor) -> bool:
        if self.roles is EVERYONE:
            return True
        if not actor.registered:
            return False
        return not self.roles or bool(actor.role_names & self.roles)


class Catalogue:
    """Looks commands up by English name or Vietnamese alias."""

    def __init__(self, commands: list[Command]) -> None:
        self.commands = commands
        self._by_word: dict[str, Command] = {}
        self._by_phrase: dict[str, Command] = {}
        for command in commands:
            self._by_word[command.name] = command
            self._by_word[command.alias] = command
            for phrase in command.phrases:
                self._by_phrase[fold(phrase)] = command

    def find(self, word: str) -> Command | None:
        return self._by_word.get(word.lower())

    def find_phrase(self, text: str) -> Command | None:
        """The command a message in plain words means ("Báo cáo", "bao cao", "HỦY"), if any."""
        return self._by_phrase.get(fold(text.strip().rstrip(".!")))

    def available(self, actor: Actor) -> list[Command]:
        return [c for c in self.commands if c.allowed(actor)]

    def menu(self, actor: Actor) -> tuple[CommandMenuEntry, ...]:
        """Telegram's command menu for this person: the Vietnamese aliases, which people remember."""
        return tuple(
            CommandMenuEntry(c.alias, c.description) for c in self.available(actor) if c.in_menu
        )

    def help_text(self, actor: Actor) -> str:
        lines = [texts.START["you_can"]]
        for command in self.available(actor):
            same = "" if command.alias == command.name else f" (/{command.name})"
            lines.append(f"/{command.alias}{same} – {command.description}")
        return "\n".join(lines)

    def role_labels(self, command: Command) -> str:
        """Whom the command is for: "cán bộ và quản trị viên đơn vị", highest role first."""
        words = texts.ROLE_AUDIENCE
        if not command.roles:
            return words["registered"]
        names = [words[role] for role in texts.ROLE_NAMES if role in command.roles]
        return words["and"].join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
