"""Each guided flow's diagram is generated from its definition and checked in: it cannot go stale."""

from __future__ import annotations

import pytest

from handlers.diagrams import COMMAND, DIRECTORY, file_name, mermaid
from handlers.flow import Flow, Step
from handlers.registry import build_flows

FLOWS = build_flows()


@pytest.mark.parametrize("flow", FLOWS, ids=[flow.name for flow in FLOWS])
def test_the_checked_in_diagram_is_the_generated_one(flow):
    path = DIRECTORY / file_name(flow)
    assert path.exists(), f"handlers/{path.name} is missing: run `{COMMAND}`"
    assert path.read_text(encoding="utf-8") == mermaid(flow), f"handlers/{path.name} is out of date: run `{COMMAND}`"


def test_no_diagram_is_left_of_a_flow_that_is_gone():
    expected = {file_name(flow) for flow in FLOWS}
    extra = sorted(path.name for path in DIRECTORY.glob("*.mmd") if path.name not in expected)
    assert not extra, f"diagrams of no flow: {extra}; run `{COMMAND}`"


def test_a_conditional_step_may_be_skipped_and_back_follows_every_way_forward():
    invite = next(flow for flow in FLOWS if flow.name == "invite")
    lines = mermaid(invite).splitlines()
    assert "    unit : asked only when its condition holds" in lines
    assert {"    [*] --> role", "    role --> unit", "    role --> [*]", "    unit --> [*]"} <= set(lines)
    assert "    unit --> role: /quaylai" in lines


def test_declared_jumps_are_drawn_and_must_name_real_steps():
    post = next(flow for flow in FLOWS if flow.name == "post")
    lines = mermaid(post).splitlines()
    assert {"    q_roles --> confirm", "    confirm --> text", "    confirm --> [*]"} <= set(lines)
    assert '    state "q:roles" as q_roles' in lines

    async def finish(ctx, answers):
        return []

    with pytest.raises(ValueError, match="no such step"):
        Flow("broken", (Step("a", "?", post.steps[0].answer),), finish, jumps={"a": ("b",)})
