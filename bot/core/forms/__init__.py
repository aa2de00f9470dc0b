"""Report forms as versioned YAML data, loaded once into typed, immutable objects."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.core.messages import Choice

FORMS_DIR = Path(__file__).parent
QUESTION_TYPES = {"integer", "choice", "multi_choice", "text", "yes_no", "photos"}


class FormError(ValueError):
    """A form file is malformed; the message names the file and the question."""


@dataclass(frozen=True)
class Question:
    key: str
    type: str
    prompt: str
    label: str
    optional: bool = False
    minimum: int = 0
    maximum: int = 1_000_000
    max_length: int = 1000
    max_items: int = 5
    options: tuple[Choice, ...] = ()

    @property
    def summable(self) -> bool:
        """Numbers add up across months and across units; other answers do not."""
        return self.type == "integer"


@dataclass(frozen=True)
class Form:
    id: str
    version: str
    title: str
    questions: tuple[Question, ...]

    def question(self, key: str) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)

    @property
    def summable_keys(self) -> list[str]:
        return [q.key for q in self.questions if q.summable]


def _question(raw: dict, where: str) -> Question:
    kind = raw.get("type")
    if kind not in QUESTION_TYPES:
        raise FormError(f"{where}: unknown type {kind!r}")
    options = tuple(Choice(str(o["value"]), str(o["label"])) for o in raw.get("options", ()))
    if kind in {"choice", "multi_choice"} and not options:
        raise FormError(f"{where}: a {kind} question needs options")
    return Question(
        key=str(raw["key"]),
        type=kind,
        prompt=str(raw["prompt"]),
        label=str(raw["label"]),
        optional=bool(raw.get("optional", False)),
        minimum=int(raw.get("min", 0)),
        maximum=int(raw.get("max", 1_000_000)),
        max_length=int(raw.get("max_length", 1000)),
        max_items=int(raw.get("max_items", 5)),
        options=options,
    )


def load_form(path: Path) -> Form:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions = tuple(_question(q, f"{path.name} question {i + 1}") for i, q in enumerate(data["questions"]))
    keys = [q.key for q in questions]
    if len(set(keys)) != len(keys):
        raise FormError(f"{path.name}: duplicate question keys")
    return Form(id=str(data["id"]), version=str(data["version"]), title=str(data["title"]), questions=questions)


@cache
def all_forms(directory: Path = FORMS_DIR) -> dict[tuple[str, str], Form]:
    """Every form version found in `directory` (files named report-*.yaml)."""
    forms = [load_form(p) for p in sorted(directory.glob("report-*.yaml"))]
    return {(f.id, f.version): f for f in forms}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def current_form(directory: Path = FORMS_DIR) -> Form:
    """The newest version: new reports are filled with it."""
    return max(all_forms(directory).values(), key=lambda f: _version_key(f.version))


def form_for(form_id: str, version: str, directory: Path = FORMS_DIR) -> Form:
    """The version a report was filled with (falls back to the current one if it is gone)."""
    return all_forms(directory).get((form_id, version)) or current_form(directory)
