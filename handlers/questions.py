"""Answer types for report questions, built from the form's YAML.

Each question step keeps its current value in the conversation under `q:<key>`, so a
pre-filled or earlier answer can be kept with one button ("Giữ nguyên").
"""

from __future__ import annotations

import re
from typing import Any

from bot.core.forms import Question
from bot.core.messages import Choice, Incoming
from bot.core.numbers import show_number
from handlers import report_texts as t
from handlers.answers import InvalidAnswer, Number, Text, match_choice
from handlers.flow import KeepStep

KEEP, SKIP, DONE = "keep", "skip", "done"
_NUMBERS = re.compile(r"^\s*[0-9]+(\s*[,;\s]\s*[0-9]+)*\s*$")


def step_name(question: Question) -> str:
    return f"q:{question.key}"


def show_value(question: Question, value: Any) -> str:
    """An answer as a person reads it in a summary."""
    if value is None:
        return t.FILE["skipped"]
    if question.type == "multi_choice":
        labels = {o.value: o.label for o in question.options}
        return "; ".join(labels.get(v, v) for v in value) or t.FILE["skipped"]
    if question.type in {"choice", "yes_no"}:
        labels = {o.value: o.label for o in question.options} | {"yes": "Có", "no": "Không"}
        return labels.get(value, str(value))
    if question.type == "photos":
        return t.FILE["photos_count"].format(count=len(value))
    if question.type == "integer":
        return show_number(value)
    return str(value)


class QuestionAnswer:
    """Parses the answer to one report question, whatever its type."""

    def __init__(self, question: Question) -> None:
        self.question = question
        self.key = step_name(question)
        # A number or a text is typed; "Giữ nguyên" / "Bỏ qua" are extra options beside it.
        self.free_input = question.type in {"integer", "text"}

    def options(self, answers: dict[str, Any]) -> tuple[Choice, ...]:
        q = self.question
        current = answers.get(self.key)
        if q.type == "multi_choice":
            chosen = set(current or ())
            ticks = tuple(
                Choice(o.value, (t.FILE["ticked"] if o.value in chosen else "") + o.label) for o in q.options
            )
            return (*ticks, Choice(DONE, t.FILE["done"]))
        if q.type == "photos":
            return (Choice(DONE, t.FILE["done"]), Choice(SKIP, t.FILE["skip"]))
        extra: list[Choice] = []
        if q.type == "choice":
            extra = list(q.options)
        elif q.type == "yes_no":
            extra = [Choice("yes", "Có"), Choice("no", "Không")]
        if current is not None and self.key in answers:
            extra.append(Choice(KEEP, f"{t.FILE['keep']}: {show_value(q, current)}"[:60]))
        if q.optional:
            extra.append(Choice(SKIP, t.FILE["skip"]))
        return tuple(extra)

    async def parse(self, incoming: Incoming, answers: dict[str, Any], ctx: Any) -> Any:
        q = self.question
        if incoming.choice == KEEP and answers.get(self.key) is not None:
            return answers[self.key]
        if incoming.choice == SKIP and (q.optional or q.type == "photos"):
            return [] if q.type == "photos" else None
        if q.type == "multi_choice":
            return self._multi(incoming, answers)
        if q.type == "photos":
            return self._photos(incoming, answers)
        if q.type in {"choice", "yes_no"}:
            return match_choice(incoming, self.options(answers))
        if incoming.choice is not None:
            raise InvalidAnswer("unknown_choice")
        if q.type == "integer":
            return await Number(q.minimum, q.maximum).parse(incoming, answers, ctx)
        return await Text(maximum=q.max_length).parse(incoming, answers, ctx)

    def _multi(self, incoming: Incoming, answers: dict[str, Any]) -> list[str]:
        """A button toggles one option and asks again; "Xong" (or typed numbers) finishes."""
        q = self.question
        chosen = list(answers.get(self.key) or [])
        values = [o.value for o in q.options]
        text = (incoming.text or "").strip()
        if incoming.choice == DONE or (incoming.choice is None and text.lower() in {"xong", "done"}):
            if not chosen:
                raise InvalidAnswer("need_one")
            return chosen
        if incoming.choice in values:
            toggled = [v for v in chosen if v != incoming.choice] if incoming.choice in chosen else [
                *chosen, incoming.choice]
            raise KeepStep({self.key: [v for v in values if v in toggled]})
        if incoming.choice is None and _NUMBERS.match(text):
            picked = {int(n) for n in re.findall(r"[0-9]+", text)}
            if all(1 <= n <= len(values) for n in picked):
                return [values[n - 1] for n in sorted(picked)]
        raise InvalidAnswer("unknown_choice")

    def _photos(self, incoming: Incoming, answers: dict[str, Any]) -> list[dict[str, str]]:
        q = self.question
        photos = list(answers.get(self.key) or [])
        if incoming.choice == DONE:
            return photos
        received = [a for a in incoming.attachments if a.kind == "photo"]
        if not received:
            raise InvalidAnswer("need_photo")
        if len(photos) + len(received) > q.max_items:
            raise InvalidAnswer("too_many_photos", maximum=q.max_items)
        photos += [{"platform": incoming.platform, "file_id": a.file_id} for a in received]
        raise KeepStep({self.key: photos}, notice=t.FILE["photo_received"].format(count=len(photos)))
