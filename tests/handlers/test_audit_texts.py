"""Every action the features audit has its Vietnamese label for the console's Nhật ký."""

from __future__ import annotations

import re
from pathlib import Path

from handlers.audit_texts import ACTIONS

ROOT = Path(__file__).resolve().parents[2]
CALL = re.compile(r"audit\.record\(")
CODE = re.compile(r'"([a-z_]+\.[a-z_]+)"')


def recorded_actions() -> set[str]:
    """The literal action codes in every `audit.record(...)` call of the code base."""
    found: set[str] = set()
    for folder in ("bot", "broadcasts", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            for call in CALL.finditer(source):
                depth, end = 1, call.end()
                while depth and end < len(source):
                    depth += {"(": 1, ")": -1}.get(source[end], 0)
                    end += 1
                found |= set(CODE.findall(source[call.end():end]))
    return found


def test_every_audited_action_has_a_label():
    actions = recorded_actions()
    assert {"feedback.answer", "console.sign_in", "invite.create", "report.accept"} <= actions
    assert actions - set(ACTIONS) == set()
    assert {"issue.acknowledged", "issue.resolved"} <= set(ACTIONS)  # f"issue.{status}"
